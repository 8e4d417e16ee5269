/**
 * kube-proxy.enable-strict-arp: set ipvs.strictARP: true in config.conf of ConfigMap
 * kube-system/kube-proxy (editing the embedded KubeProxyConfiguration YAML in place, so every
 * other field, comment and the key order stay), then restart kube-proxy the way
 * `kubectl rollout restart ds/kube-proxy` does: kube-proxy reads its config only at start.
 */
import type * as k8s from '@kubernetes/client-node';
import { isDeepStrictEqual } from 'node:util';
import { isMap, isScalar, parseDocument, type YAMLMap } from 'yaml';
import { KINDS, type KubeObject } from '../../cluster/writer.js';
import { RESTART_KUBE_PROXY, SED_FALSE_TO_TRUE, SED_INSERT_UNDER_IPVS } from '../../checks/kube-proxy/strict-arp.js';
import { rolloutRestartStep, textDiff, updateStep, pollUntil } from '../lib.js';
import type { Fix, FixContext, ObjectRef, PlanResult, SettleContext, SettleResult } from '../types.js';

const NS = 'kube-system';
const CM = 'kube-proxy';
const DS = 'kube-proxy';
const KEY = 'config.conf';

export type StrictArpEdit =
  | { ok: false; problem: string }
  /**
   * mode: the configured proxy mode ('' = default); text: the edited config, null when strictARP
   * is already true; reformatted: lines other than strictARP's change formatting (see below).
   */
  | { ok: true; mode: string; before: unknown; text: string | null; hasIpvsSection: boolean; reformatted: boolean };

/**
 * Set ipvs.strictARP: true in a KubeProxyConfiguration. The document is parsed with the yaml
 * Document API and edited at its source ranges: the value of an existing strictARP is replaced
 * where it stands, a missing one is inserted as the first key under a block `ipvs:` (where the
 * guide's sed puts it, with the section's indentation). Every other byte stays. The result is
 * verified: it must parse to exactly the input's data with ipvs.strictARP = true (the Document
 * API's setIn on the same document gives that expectation). Where no source edit applies (a flow
 * `ipvs: {}`, no ipvs section) or the check fails, the edited document is re-rendered with
 * toString: comments and key order stay, formatting may change (`reformatted`).
 */
export function enableStrictArp(text: string): StrictArpEdit {
  const doc = parseDocument(text, { prettyErrors: true });
  if (doc.errors.length > 0) return { ok: false, problem: doc.errors[0]!.message.split('\n')[0]!.replace(/:\s*$/, '').trim() };
  if (!isMap(doc.contents)) return { ok: false, problem: 'it is not a KubeProxyConfiguration mapping' };
  const modeRaw = doc.get('mode');
  if (modeRaw !== undefined && modeRaw !== null && typeof modeRaw !== 'string') return { ok: false, problem: `mode is ${JSON.stringify(modeRaw)}, not a string` };
  const mode = (modeRaw ?? '').trim();
  const ipvs = doc.get('ipvs', true);
  const ipvsIsNull = ipvs === undefined || ipvs === null || (isScalar(ipvs) && ipvs.value === null);
  if (!ipvsIsNull && !isMap(ipvs)) return { ok: false, problem: 'ipvs is not a mapping' };
  const before = doc.getIn(['ipvs', 'strictARP']);
  const hasIpvsSection = isMap(ipvs) && /^[ \t]*ipvs:[ \t]*\r?$/m.test(text);
  if (before === true) return { ok: true, mode, before, text: null, hasIpvsSection, reformatted: false };

  // the expectation, from the Document API
  const strictNode = doc.getIn(['ipvs', 'strictARP'], true);
  const ipvsPair = (doc.contents as YAMLMap).items.find((p) => isScalar(p.key) && p.key.value === 'ipvs');
  const edited = doc.clone();
  if (isMap(ipvs)) edited.setIn(['ipvs', 'strictARP'], true);
  else edited.set('ipvs', edited.createNode({ strictARP: true }));
  const expected = edited.toJS();

  let patched: string | null = null;
  if (isScalar(strictNode) && strictNode.range) {
    // replace the value where it stands (plain, quoted or `False`): comments after it stay
    patched = text.slice(0, strictNode.range[0]) + 'true' + text.slice(strictNode.range[1]);
  } else if (isMap(ipvs) && !ipvs.flow && ipvsPair && isScalar(ipvsPair.key) && ipvsPair.key.range) {
    const first = ipvs.items[0];
    const firstKey = first && isScalar(first.key) ? first.key : null;
    const eol = text.indexOf('\n', ipvsPair.key.range[0]);
    if (firstKey?.range && eol >= 0) {
      const at = firstKey.range[0];
      const indent = at - (text.lastIndexOf('\n', at - 1) + 1);
      const nl = text[eol - 1] === '\r' ? '\r\n' : '\n';
      patched = text.slice(0, eol + 1) + ' '.repeat(indent) + 'strictARP: true' + nl + text.slice(eol + 1);
    }
  }
  if (patched !== null) {
    const check = parseDocument(patched);
    if (check.errors.length === 0 && isDeepStrictEqual(check.toJS(), expected)) return { ok: true, mode, before, text: patched, hasIpvsSection, reformatted: false };
  }
  const out = edited.toString({ lineWidth: 0 });
  // a `|-` block in a ConfigMap has no final newline: keep the input's ending
  const rendered = text.endsWith('\n') ? out : out.replace(/\n$/, '');
  const unchanged = doc.toString({ lineWidth: 0 });
  return { ok: true, mode, before, text: rendered, hasIpvsSection, reformatted: (text.endsWith('\n') ? unchanged : unchanged.replace(/\n$/, '')) !== text };
}

type ConfigMap = KubeObject & { data?: Record<string, string> };

/** The change applied to the ConfigMap read at apply time (a 409 re-reads and re-edits). */
function changeConfigMap(fresh: KubeObject): KubeObject | null {
  const cm = fresh as ConfigMap;
  const text = cm.data?.[KEY];
  if (text === undefined) throw new Error(`ConfigMap ${NS}/${CM} no longer has key ${KEY}`);
  const edit = enableStrictArp(text);
  if (!edit.ok) throw new Error(`${KEY} of ConfigMap ${NS}/${CM} no longer parses: ${edit.problem}`);
  if (edit.mode.toLowerCase() !== 'ipvs') throw new Error(`${KEY} of ConfigMap ${NS}/${CM} now sets mode "${edit.mode}", not ipvs`);
  if (edit.text === null) return null;
  return { ...cm, data: { ...cm.data, [KEY]: edit.text } };
}

/** The DaemonSet rolled out: observed its new generation, no pod of before is left, and every pod is Ready. */
export async function daemonSetRolledOut(
  ds: k8s.V1DaemonSet | null,
  pods: k8s.V1Pod[],
  oldUids: ReadonlySet<string>,
  expectedFallback: number,
): Promise<SettleResult> {
  if (!ds) return { ok: false, message: `DaemonSet ${NS}/${DS} is gone` };
  const gen = ds.metadata?.generation ?? 0;
  const observed = ds.status?.observedGeneration ?? 0;
  if (observed < gen) return { ok: false, message: `DaemonSet ${NS}/${DS} has not observed generation ${gen} yet (observed ${observed})` };
  const live = pods.filter((p) => !p.metadata?.deletionTimestamp);
  const old = live.filter((p) => oldUids.has(p.metadata?.uid ?? ''));
  if (old.length > 0) return { ok: false, message: `${old.length} pod(s) of before still run: ${old.map((p) => p.metadata?.name).join(', ')}` };
  const ready = live.filter((p) => (p.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True'));
  const expected = ds.status?.desiredNumberScheduled ?? expectedFallback;
  if (ready.length < live.length || ready.length < expected) {
    return { ok: false, message: `${ready.length} of ${Math.max(expected, live.length)} new kube-proxy pod(s) Ready` };
  }
  return { ok: true, message: `DaemonSet ${NS}/${DS} rolled out: ${ready.length} new pod(s) Ready (${ready.map((p) => p.metadata?.name).join(', ')})` };
}

export const fix: Fix = {
  id: 'kube-proxy.enable-strict-arp',
  title: 'Enable strictARP in kube-proxy (IPVS mode) and restart it',
  addresses: ['kube-proxy.strict-arp'],
  risk: 'restart',
  order: 60,
  doc:
    'Sets ipvs.strictARP: true in config.conf (the KubeProxyConfiguration) of ConfigMap kube-system/kube-proxy by editing that YAML in place (comments, key order and every other field kept), as a replace conditional on the ConfigMap\'s resourceVersion (a conflict re-reads and re-edits). Then restarts kube-proxy like `kubectl -n kube-system rollout restart daemonset kube-proxy` (pod-template annotation kubectl.kubernetes.io/restartedAt): kube-proxy reads its config only at start. Settles when the DaemonSet observed its new generation and its new pods are Ready. Refuses when config.conf does not parse or the mode is not ipvs. Sources: MetalLB installation guide (metallb/metallb:website/content/installation/_index.md:30-55 at v0.14.9) requires strictARP in IPVS mode; kubeadm keeps ConfigMap kube-system/kube-proxy as the kube-proxy config; Kubespray renders `strictARP: {{ kube_proxy_strict_arp }}` (kubernetes-sigs/kubespray:roles/kubernetes/control-plane/templates/kubeadm-config.v1beta4.yaml.j2) and re-renders it on every playbook run.',
  async plan(ctx: FixContext): Promise<PlanResult> {
    const cm = (await ctx.writer.get(KINDS.configMap, NS, CM, ctx.signal)) as ConfigMap | null;
    if (!cm) return { skip: `ConfigMap ${NS}/${CM} does not exist: there is no kube-proxy configuration to edit` };
    const text = cm.data?.[KEY];
    if (text === undefined) return { skip: `ConfigMap ${NS}/${CM} has no key ${KEY}: kube-proxy is configured some other way, edit it by hand` };
    const edit = enableStrictArp(text);
    if (!edit.ok) return { skip: `${KEY} of ConfigMap ${NS}/${CM} does not parse as YAML (${edit.problem}): repair it by hand first (kubectl -n ${NS} edit configmap ${CM}); editing it automatically could make kube-proxy fail at its next start` };
    if (edit.mode.toLowerCase() !== 'ipvs') return { skip: `kube-proxy runs in ${edit.mode ? `${edit.mode} mode` : 'the default mode (iptables)'}, not IPVS: strictARP only matters in IPVS mode` };
    if (edit.text === null) return { skip: `${KEY} of ConfigMap ${NS}/${CM} already sets ipvs.strictARP: true` };

    const ds = (await ctx.writer.get(KINDS.daemonSet, NS, DS, ctx.signal)) as k8s.V1DaemonSet | null;
    const cmRef: ObjectRef = { kind: KINDS.configMap, namespace: NS, name: CM };
    const command = edit.before === false ? SED_FALSE_TO_TRUE : edit.before === undefined && edit.hasIpvsSection ? SED_INSERT_UNDER_IPVS : `kubectl -n ${NS} edit configmap ${CM}   # under ipvs: set strictARP: true`;
    const step = updateStep(cmRef, cm, changeConfigMap, `set ipvs.strictARP: true in ${KEY} of ConfigMap ${NS}/${CM} (was ${edit.before === undefined ? 'absent' : JSON.stringify(edit.before)})`, command);
    // the ConfigMap diff shows config.conf as one escaped string: show the embedded YAML instead
    step.diff = textDiff(`configmap/${NS}/${CM}/${KEY}`, text.endsWith('\n') ? text : `${text}\n`, edit.text.endsWith('\n') ? edit.text : `${edit.text}\n`);

    const notes = [
      `kubeadm keeps ConfigMap ${NS}/${CM} as the kube-proxy configuration: the change stays (a later \`kubeadm upgrade\` keeps the ConfigMap's settings).`,
      `Kubespray re-renders ConfigMap ${NS}/${CM} from its inventory on every playbook run and would set strictARP back: set \`kube_proxy_strict_arp: true\` in inventory/<cluster>/group_vars/k8s_cluster/k8s-cluster.yml (its MetalLB role also refuses IPVS without it).`,
    ];
    if (edit.reformatted) notes.push(`${KEY} is re-rendered with two-space indentation: besides strictARP, other lines change their formatting only (the diff shows them).`);
    if (!ds) {
      notes.push(`There is no DaemonSet ${NS}/${DS} to restart: restart kube-proxy however it runs on your nodes, it reads its configuration only at start.`);
      return { summary: `set ipvs.strictARP: true in ConfigMap ${NS}/${CM}`, steps: [step], notes };
    }
    const dsRef: ObjectRef = { kind: KINDS.daemonSet, namespace: NS, name: DS };
    const selector = Object.entries(ds.spec?.selector?.matchLabels ?? {}).map(([k, v]) => `${k}=${v}`).join(',');
    const oldPods = selector ? await ctx.writer.list(KINDS.pod, NS, selector, ctx.signal) : [];
    const oldUids = new Set(oldPods.map((p) => p.metadata?.uid ?? '').filter(Boolean));
    return {
      summary: `set ipvs.strictARP: true in ConfigMap ${NS}/${CM} and restart DaemonSet ${NS}/${DS} (${RESTART_KUBE_PROXY})`,
      steps: [step, rolloutRestartStep(dsRef, `restart the kube-proxy pods (DaemonSet ${NS}/${DS}) so they read the new configuration`)],
      notes,
      restarts: dsRef,
      settle: (s: SettleContext) =>
        pollUntil(s, async (snap) => {
          const cur = await snap.getDaemonSet(NS, DS);
          const sel = Object.entries(cur?.spec?.selector?.matchLabels ?? {}).map(([k, v]) => `${k}=${v}`).join(',');
          const pods = sel ? await snap.listPods(NS, { labelSelector: sel }) : [];
          return daemonSetRolledOut(cur, pods, oldUids, oldPods.length);
        }),
    };
  },
};
