import type { Check } from '../../core/types.js';
import { fail, pass, warn } from '../../core/types.js';
import { AKASH_NS, imageTag } from '../lib/akash.js';
import { HELM_REPO_COMMANDS, installOperatorAdvice, installOperatorCommand, layoutWords, OPERATOR_CHART, operatorTarget, type LayoutState } from '../lib/ip-operator.js';
import { providerFrom } from '../lib/provider-from.js';

function summary(s: LayoutState): Record<string, unknown> {
  return {
    layout: s.layout.layout,
    name: s.layout.name,
    selector: s.layout.selector,
    deployment: s.layout.deployment ? s.layout.name : null,
    helmRelease: s.helmRelease,
    desired: s.desired,
    available: s.available,
    pods: s.pods.map((p) => p.metadata?.name),
    readyPods: s.readyPods,
    image: imageTag(s.layout.deployment?.spec?.template?.spec ?? s.pods[0]?.spec, /provider/)?.image ?? null,
    problem: s.problem,
  };
}

/** The exact command that removes the old layout without touching the current one. */
function removeOldCommands(oldState: LayoutState, current: LayoutState | null): string[] {
  const rel = oldState.helmRelease;
  if (rel && rel !== current?.helmRelease) return [`helm -n ${AKASH_NS} uninstall ${rel}`];
  // same release or not from Helm: delete the old objects directly
  return [`kubectl -n ${AKASH_NS} delete deployment,service ${oldState.layout.name} --ignore-not-found`];
}

function chartText(l: 'new' | 'old'): string {
  return l === 'new' ? 'current chart' : 'old chart ≤ 8.x';
}

export const check: Check = {
  id: 'ip-operator.installed',
  title: 'The IP operator the provider looks for is installed and running',
  category: 'ip-operator',
  dependsOn: ['cluster.api'],
  dependantsStartEarly: true,
  doc: {
    what: 'Finds the IP operator in akash-services in either layout: the current chart (Deployment and Service `operator-ip`, port `rest` 8080, pods labelled app.kubernetes.io/name=ip) or the old chart ≤ 8.x (`akash-ip-operator`, port `api` 8086, app=akash-ip-operator), and matches it to the provider\'s version, read from the provider container\'s image tag (StatefulSet akash-provider, container provider), else the Helm release\'s appVersion. Provider ≥ 0.5.0 only looks for Service operator-ip port rest (akash-network/provider:cluster/kube/operators/clients/ip/client.go:45); provider ≤ 0.4.x only for akash-ip-operator port api (akash-network/provider@v0.4.8:cluster/operatorclients/ip_operator_client.go:65; the switch is commit 82c31b7, first tag v0.5.0). Chart layouts: akash-network/helm-charts:charts/akash-ip-operator/templates/deployment.yaml and service.yaml (main; old layout in `git show ab9354d`). Then checks that the operator\'s Deployment is available and its pods are ready. Every other ip-operator check looks at the layout the provider uses.',
    why: 'The IP operator hands out MetalLB addresses for IP leases and tells the provider how many are free. The provider finds it only by its own layout\'s Service name and port name: an operator of the other layout is never called, so the provider waits for it forever (/status hangs) and never bids on IP orders. A second, stale operator next to the used one is left-over clutter that confuses every later upgrade.',
    fix: 'Install the chart of the layout the provider needs, pinned: `helm install akash-ip-operator akash/akash-ip-operator -n akash-services --version 19.0.2 --set provider_address=<provider address>` for provider ≥ 0.5.0 (`--version 8.0.0` for a provider ≤ 0.4.x), after removing a stale release of the other layout (`helm -n akash-services uninstall <release>`, see `helm -n akash-services list`). If its pod is not ready, see `kubectl -n akash-services describe pod -l app.kubernetes.io/name=ip`.',
  },
  async run(ctx) {
    const t = await operatorTarget(ctx.cluster);
    const { states, needed } = t;
    const provider = { version: t.provider.version, source: t.provider.source, needs: needed };
    if (states.length === 0) {
      const { address, hint, remedy } = await installOperatorAdvice(ctx.cluster);
      return fail(`no IP operator in ${AKASH_NS}: neither Deployment operator-ip (current chart) nor akash-ip-operator (old chart) nor pods with their labels`, {
        details: { reason: 'not-installed', namespace: AKASH_NS, providerAddress: address, provider },
        hint,
        remedy: { ...remedy, fixId: 'ip-operator.install' },
      });
    }
    const details = { provider, layouts: states.map(summary) };
    const versionText = t.provider.version ? `provider ${t.provider.version} (${t.provider.source})` : '';

    // the provider's layout is absent: the installed operator is never called
    if (needed && !t.used) {
      const wrong = states[0]!;
      const address = (await providerFrom(ctx.cluster).catch(() => null))?.address ?? null;
      const install = installOperatorCommand(address, needed);
      const remove = states.flatMap((s) => removeOldCommands(s, null));
      return fail(
        `${versionText} looks only for ${layoutWords(needed)}, but the installed IP operator is ${wrong.layout.name} (${chartText(wrong.layout.layout)}): the provider never finds it, waits for it and bids on no IP order`,
        {
          details: { ...details, reason: 'layout-mismatch' },
          hint: `remove the stale operator and install chart ${OPERATOR_CHART[needed]}: ${[...remove, install].join(' && ')}`,
          remedy: { summary: `replace the ${chartText(wrong.layout.layout)} operator by the akash-ip-operator chart ${OPERATOR_CHART[needed]} the provider needs`, commands: [...remove, ...HELM_REPO_COMMANDS, install], fixId: 'ip-operator.install' },
        },
      );
    }

    const s = t.used!;
    const others = needed ? t.unused : states.filter((x) => x !== s);
    if (s.problem) {
      const describe = `kubectl -n ${AKASH_NS} describe pod -l ${s.layout.selector}`;
      const logs = `kubectl -n ${AKASH_NS} logs -l ${s.layout.selector} --tail=50`;
      const scaled = s.desired === 0;
      const also = others.length ? `; also installed: ${others.map((o) => `${o.layout.name} (${chartText(o.layout.layout)}${needed ? ', not used by this provider' : ''})`).join(', ')}` : '';
      return fail(`IP operator (${chartText(s.layout.layout)}) is not running: ${s.problem}${also}`, {
        details: { ...details, reason: scaled ? 'scaled-to-zero' : 'not-running' },
        hint: scaled ? `scale it up: kubectl -n ${AKASH_NS} scale deployment ${s.layout.name} --replicas=1` : `see why: ${describe} && ${logs}`,
        ...(scaled ? { remedy: { summary: 'scale the IP operator back to 1 replica', commands: [`kubectl -n ${AKASH_NS} scale deployment ${s.layout.name} --replicas=1`] } } : {}),
      });
    }

    if (others.length > 0) {
      const old = others[0]!;
      const cmds = removeOldCommands(old, s);
      const helmNote = old.helmRelease ? '' : ` (check \`helm -n ${AKASH_NS} list\` first: if a release owns it, uninstall that release instead)`;
      if (needed) {
        return warn(`two IP operators are installed: ${versionText} uses ${s.layout.name} (${chartText(s.layout.layout)}, running); ${old.layout.name} (${chartText(old.layout.layout)}${old.problem ? `, ${old.problem}` : ', running'}) is stale and never called`, {
          details: { ...details, reason: 'stale-layout' },
          hint: `remove the stale one: ${cmds.join(' && ')}${helmNote}`,
          remedy: { summary: `remove the stale IP operator ${old.layout.name}`, commands: cmds },
        });
      }
      return warn(
        `two IP operators are installed: ${s.layout.name} (${chartText(s.layout.layout)}, running) and ${old.layout.name} (${chartText(old.layout.layout)}${old.problem ? `, ${old.problem}` : ', running'}); the provider's version is unknown, so which one it calls is unknown (≥ 0.5.0: operator-ip, ≤ 0.4.x: akash-ip-operator)`,
        {
          details: { ...details, reason: 'two-layouts' },
          hint: `remove the one your provider does not use, e.g. ${cmds.join(' && ')}${helmNote}`,
          remedy: { summary: `remove the IP operator ${old.layout.name}`, commands: cmds },
        },
      );
    }
    const where = s.layout.deployment ? `Deployment ${AKASH_NS}/${s.layout.name}` : `pods ${s.layout.selector} in ${AKASH_NS} (no Deployment)`;
    const match = needed ? `, the layout ${versionText} uses` : '';
    return pass(`IP operator (${chartText(s.layout.layout)}) is running: ${where}, ${s.readyPods.length}/${s.pods.length} pods ready${match}`, { details: { ...details, reason: 'running' } });
  },
};
