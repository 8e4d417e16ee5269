/**
 * Shared by the operator restarts (ip-operator.restart, hostname-operator.restart) and the
 * provider restart: which pods replaced the ones deleted (by uid: a StatefulSet's new pod has
 * the old name), and a settle probe "a new pod is Ready and /health answers 200".
 */
import type * as k8s from '@kubernetes/client-node';
import type { Snapshot } from '../../cluster/snapshot.js';
import { isKubeStatus } from '../../checks/ip-operator/health.js';
import { statusMessage } from '../../cluster/errors.js';
import type { SettleResult } from '../types.js';

export function podIsReady(p: k8s.V1Pod): boolean {
  return p.status?.phase === 'Running' && (p.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');
}

/** Pods matching `selector` that are not among `oldUids` and not terminating: the replacements. */
export async function replacementPods(snap: Snapshot, namespace: string, selector: string, oldUids: ReadonlySet<string>): Promise<{ ready: string[]; waiting: string[]; oldLeft: string[] }> {
  const pods = await snap.listPods(namespace, { labelSelector: selector });
  const ready: string[] = [];
  const waiting: string[] = [];
  const oldLeft: string[] = [];
  for (const p of pods) {
    const name = p.metadata?.name ?? '';
    if (oldUids.has(p.metadata?.uid ?? '')) {
      if (!p.metadata?.deletionTimestamp) oldLeft.push(name);
      continue;
    }
    if (p.metadata?.deletionTimestamp) continue;
    (podIsReady(p) ? ready : waiting).push(name);
  }
  return { ready, waiting, oldLeft };
}

/** What a /health answer means, in words. */
function healthWords(status: number, body: string): string {
  if (status === 503 && !isKubeStatus(body)) return '503 with an empty body (barrier still locked)';
  const api = isKubeStatus(body) ? statusMessage(body) : null;
  return `${status}${api ? ` (${api})` : body.trim() ? ` (${body.trim().slice(0, 80)})` : ''}`;
}

/**
 * One settle probe of an operator restart: a new pod Ready, then GET /health through the
 * service proxy answers 200.
 */
export async function operatorRestarted(
  snap: Snapshot,
  op: { namespace: string; selector: string; service: string; portName: string; what: string },
  oldUids: ReadonlySet<string>,
): Promise<SettleResult> {
  const { ready, waiting, oldLeft } = await replacementPods(snap, op.namespace, op.selector, oldUids);
  if (ready.length === 0) {
    const parts = [waiting.length ? `new pod ${waiting.join(', ')} not Ready yet` : 'no new pod yet'];
    if (oldLeft.length) parts.push(`old pod ${oldLeft.join(', ')} still there`);
    return { ok: false, message: `${op.what}: ${parts.join('; ')}` };
  }
  const res = await snap.proxyGet(op.namespace, op.service, op.portName, 'health');
  const where = `${op.namespace}/${op.service}:${op.portName}/health`;
  if (res.status === 200) return { ok: true, message: `${op.what}: new pod ${ready.join(', ')} Ready, ${where} answers 200` };
  return { ok: false, message: `${op.what}: new pod ${ready.join(', ')} Ready, but ${where} answers ${healthWords(res.status, res.body)}` };
}
