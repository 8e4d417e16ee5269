import { KINDS } from '../../cluster/writer.js';
import { METALLB_NS } from '../../checks/lib/akash.js';
import { patchStep } from '../lib.js';
import type { Fix } from '../types.js';
import { PSA_LABELS, helmNote, isHelmManaged } from './common.js';

export const fix: Fix = {
  id: 'metallb.label-psa',
  title: 'Label namespace metallb-system privileged for Pod Security',
  addresses: ['metallb.pod-security'],
  risk: 'safe',
  order: 20,
  doc:
    'Sets the Pod Security Admission labels pod-security.kubernetes.io/enforce, audit and warn of namespace metallb-system to privileged (a JSON merge patch of metadata.labels; other labels stay), as the guide\'s `kubectl label ns metallb-system ... --overwrite` does. The speaker needs hostNetwork: true and capability NET_RAW (metallb/metallb:charts/metallb/templates/speaker.yaml:167,353 at v0.14.9), which only the privileged level admits. The DaemonSet controller then creates the missing speaker pods by itself.',
  async plan(ctx) {
    const ns = await ctx.writer.get(KINDS.namespace, undefined, METALLB_NS, ctx.signal);
    if (!ns) return { skip: `namespace ${METALLB_NS} does not exist (see metallb.create-namespace)` };
    const labels = ns.metadata?.labels ?? {};
    const wrong = Object.entries(PSA_LABELS).filter(([k, v]) => labels[k] !== v);
    if (wrong.length === 0) return { skip: `namespace ${METALLB_NS} is already labelled privileged (enforce, audit, warn)` };
    const patch = { metadata: { labels: { ...PSA_LABELS } } };
    const notes: string[] = [];
    if (isHelmManaged(ns)) notes.push(helmNote(ns, `Namespace ${METALLB_NS}`));
    notes.push('The speaker DaemonSet creates its missing pods by itself once the namespace admits them (the DaemonSet controller retries; `kubectl -n metallb-system rollout restart ds <speaker>` speeds it up).');
    return {
      summary: `label namespace ${METALLB_NS} privileged (${wrong.map(([k]) => `${k.split('/')[1]}=${labels[k] ?? 'unset'}`).join(', ')} -> privileged)`,
      steps: [patchStep({ kind: KINDS.namespace, name: METALLB_NS }, ns, 'merge', patch, `set ${Object.keys(PSA_LABELS).join(', ')} to privileged on namespace ${METALLB_NS}`)],
      notes,
    };
  },
};
