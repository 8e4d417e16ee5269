import type * as k8s from '@kubernetes/client-node';
import { fail, pass, warn, type Check, type Remedy } from '../../core/types.js';
import { ClusterError } from '../../cluster/errors.js';
import { METALLB_NS, imageTag } from '../lib/akash.js';
import { EXCLUDE_LB_LABEL, compareVersion, controllerVersion, findSpeakerWorkload, listNames, parseVersionTag, type MetallbSpeaker, type SemVer } from '../lib/metallb.js';

const isReady = (n: k8s.V1Node): boolean => (n.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');

export const IGNORE_FLAG = 'ignore-exclude-lb';
/** The speaker honours the label since v0.14.0 (first released as 0.14.2); `--ignore-exclude-lb` exists since 0.14.4. */
export const LABEL_HONOURED_SINCE = { major: 0, minor: 14, patch: 0 };
export const IGNORE_FLAG_SINCE = { major: 0, minor: 14, patch: 4 };

export function unlabelCommand(node: string): string {
  return `kubectl label node ${node} ${EXCLUDE_LB_LABEL}-`;
}

/** Go strconv.ParseBool, which Go's `flag` uses for `--flag=value` of a bool flag. */
function goBool(v: string): boolean | undefined {
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(v)) return true;
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(v)) return false;
  return undefined;
}

/**
 * Value of a bool flag as Go's `flag` package reads it (the speaker uses `flag`,
 * metallb/metallb:speaker/main.go:88): `-name` / `--name` is true, `--name=<bool>`
 * sets the value, the last occurrence wins, `--` ends the flags. (`--name false`
 * does not set false: Go's bool flags take `=value` only.) undefined: not given.
 */
export function goBoolFlag(argv: readonly string[], name: string): boolean | undefined {
  let value: boolean | undefined;
  for (const a of argv) {
    if (a === '--') break;
    const m = /^--?([^=]+)(?:=(.*))?$/.exec(a);
    if (!m || m[1] !== name) continue;
    if (m[2] === undefined) value = true;
    else {
      const b = goBool(m[2]);
      if (b !== undefined) value = b;
    }
  }
  return value;
}

/** The speaker container's argv after the binary: args, or command[1:] + args when command is set. */
export function speakerArgv(ds: k8s.V1DaemonSet | undefined): string[] {
  const containers = ds?.spec?.template?.spec?.containers ?? [];
  const c = containers.find((x) => x.name === 'speaker') ?? containers.find((x) => /metallb\/speaker/.test(x.image ?? '')) ?? containers[0];
  return [...(c?.command ?? []).slice(1), ...(c?.args ?? [])];
}

interface SpeakerInfo {
  speaker: MetallbSpeaker | null;
  version: SemVer | null;
  /** --ignore-exclude-lb given and true. */
  ignoreFlag: boolean;
}

async function speakerInfo(ctx: Parameters<Check['run']>[0]): Promise<SpeakerInfo> {
  let speaker: MetallbSpeaker | null = null;
  let version: SemVer | null = null;
  try {
    speaker = await findSpeakerWorkload(ctx.cluster);
    version = parseVersionTag(imageTag(speaker?.daemonSet.spec?.template?.spec, /metallb\/speaker/)?.tag);
    if (!version) version = (await controllerVersion(ctx.cluster))?.version ?? null;
  } catch (e) {
    // the speaker and the version only refine the verdict
    if (!(e instanceof ClusterError)) throw e;
  }
  return { speaker, version, ignoreFlag: goBoolFlag(speakerArgv(speaker?.daemonSet), IGNORE_FLAG) === true };
}

export const check: Check = {
  id: 'metallb.excluded-nodes',
  title: 'MetalLB may announce from the nodes (exclude-from-external-load-balancers)',
  category: 'metallb',
  dependsOn: ['cluster.api'],
  doc: {
    what: 'Lists the nodes labelled node.kubernetes.io/exclude-from-external-load-balancers (kubeadm puts it on control-plane nodes) and compares them with all nodes. Reads the speaker DaemonSet (found by its labels) for `--ignore-exclude-lb` (Go bool flag: `--ignore-exclude-lb` or `--ignore-exclude-lb=true`, the last one wins; Helm value `speaker.ignoreExcludeLB`, rendered as that bare flag by metallb/metallb:charts/metallb/templates/speaker.yaml:252-254 at v0.14.9, values.yaml:272): with it (MetalLB 0.14.4 or later) the label does not matter. Without it, some excluded nodes warn; all nodes excluded, or no Ready node left to announce from, fails. details.reason: no-excluded-nodes, ignore-exclude-lb, some-nodes-excluded, all-nodes-excluded, label-ignored-by-old-metallb.',
    why: 'MetalLB 0.14 and later (tag v0.14.0, first released as 0.14.2) do not announce lease IPs from labelled nodes: the layer 2 and BGP speakers skip a node when `!ignoreExcludeLB && IsNodeExcludedFromBalancers(node)` (metallb/metallb:speaker/layer2_controller.go:233 and speaker/bgp_controller.go:172 at v0.14.9; the label only needs to exist, internal/k8s/nodes/nodes.go:52-60). On a single-node provider, or when every node is labelled, no node answers for the lease IPs and they are unreachable, although the Services show an IP. The speaker flag `--ignore-exclude-lb` (speaker/main.go:88, since 0.14.4) turns the check off.',
    fix: 'Remove the label from the nodes that should announce: `kubectl label node <node> node.kubernetes.io/exclude-from-external-load-balancers-`. Or, with MetalLB 0.14.4 or later, let the speaker ignore the label: Helm `helm -n metallb-system upgrade <release> metallb/metallb --reuse-values --set speaker.ignoreExcludeLB=true`; manifests: add `--ignore-exclude-lb` to the speaker container args.',
  },
  async run(ctx) {
    // one list of the nodes; the labelled ones are picked out of it (no second request)
    const all = await ctx.cluster.listNodes();
    const excluded = all.filter((n) => Object.prototype.hasOwnProperty.call(n.metadata?.labels ?? {}, EXCLUDE_LB_LABEL));
    const excludedNames = excluded.map((n) => n.metadata?.name ?? '').filter(Boolean);
    const excludedSet = new Set(excludedNames);
    const eligible = all.filter((n) => !excludedSet.has(n.metadata?.name ?? ''));
    const eligibleReady = eligible.filter(isReady);
    const details: Record<string, unknown> = { nodes: all.length, excluded: excludedNames, eligibleReady: eligibleReady.map((n) => n.metadata?.name) };
    if (excludedNames.length === 0) {
      details.reason = 'no-excluded-nodes';
      return pass(`no node is labelled ${EXCLUDE_LB_LABEL} (${all.length} node${all.length === 1 ? '' : 's'} may announce)`, { details });
    }

    const info = await speakerInfo(ctx);
    const v = info.version;
    if (info.speaker) details.speaker = `${METALLB_NS}/${info.speaker.name}`;
    if (v) details.metallbVersion = v.text;
    details.ignoreExcludeLB = info.ignoreFlag;
    const which = `${excludedNames.length} of ${all.length} node${all.length === 1 ? '' : 's'} (${listNames(excludedNames)})`;

    // the speaker ignores the label: any Ready node announces
    if (info.ignoreFlag && (!v || compareVersion(v, IGNORE_FLAG_SINCE) >= 0)) {
      details.reason = 'ignore-exclude-lb';
      const ready = all.filter(isReady).length;
      return pass(`${which} labelled ${EXCLUDE_LB_LABEL}, but speaker ${METALLB_NS}/${info.speaker?.name} runs with --${IGNORE_FLAG}${v ? ` (MetalLB ${v.text})` : ''}, so they still announce (${ready} Ready node${ready === 1 ? '' : 's'})`, { details });
    }
    const oldMetallb = v && compareVersion(v, LABEL_HONOURED_SINCE) < 0 ? v.text : null;
    const commands = excludedNames.map(unlabelCommand);
    const remedy: Remedy = { summary: `remove ${EXCLUDE_LB_LABEL} from ${listNames(excludedNames)}`, commands, params: { nodes: excludedNames.join(',') } };
    const blocking = eligibleReady.length === 0;
    // the alternative for installs that keep the label (single-node kubeadm clusters)
    const canIgnore = !v || compareVersion(v, IGNORE_FLAG_SINCE) >= 0;
    const flagNote = info.ignoreFlag && !canIgnore ? `; its --${IGNORE_FLAG} flag needs MetalLB 0.14.4 or later (this is ${v!.text})` : '';
    const alternative = !canIgnore
      ? ''
      : info.speaker?.method === 'helm'
        ? `; or keep the label and let the speaker ignore it: helm -n ${METALLB_NS} upgrade ${info.speaker.release ?? 'metallb'} metallb/metallb --reuse-values --set speaker.ignoreExcludeLB=true`
        : `; or keep the label and add --${IGNORE_FLAG} to the args of the speaker container (kubectl -n ${METALLB_NS} edit daemonset ${info.speaker?.name ?? 'speaker'})`;

    if (blocking && !oldMetallb) {
      details.reason = 'all-nodes-excluded';
      const what =
        eligible.length > 0
          ? `${which} labelled ${EXCLUDE_LB_LABEL} and the others (${listNames(eligible.map((n) => n.metadata?.name ?? ''))}) are not Ready`
          : all.length === 1
            ? `the only node, ${excludedNames[0]}, is labelled ${EXCLUDE_LB_LABEL}`
            : `all ${all.length} nodes (${listNames(excludedNames)}) are labelled ${EXCLUDE_LB_LABEL}`;
      return fail(`${what} and the speaker does not run with --${IGNORE_FLAG}: MetalLB announces lease IPs from no node, so they are unreachable${flagNote}`, {
        details,
        hint: `Let MetalLB announce from them: ${commands.join(' && ')}${alternative}`,
        remedy,
      });
    }
    if (oldMetallb) {
      details.reason = 'label-ignored-by-old-metallb';
      return warn(`${which} labelled ${EXCLUDE_LB_LABEL}: MetalLB ${oldMetallb} still announces from them, but 0.14 and later will not${blocking ? ', leaving no node to announce from' : ''}`, {
        details,
        hint: `Remove the label before upgrading MetalLB: ${commands.join(' && ')}`,
        remedy,
      });
    }
    details.reason = 'some-nodes-excluded';
    return warn(`${which} labelled ${EXCLUDE_LB_LABEL}: MetalLB does not announce lease IPs from them (${eligibleReady.length} Ready node${eligibleReady.length === 1 ? '' : 's'} still can)${flagNote}`, {
      details,
      hint: `If they should announce, remove the label: ${commands.join(' && ')}${alternative}`,
      remedy,
    });
  },
};
