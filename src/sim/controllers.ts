/**
 * Simple controller reactions:
 * - a deleted Pod owned by a ReplicaSet (Deployment), StatefulSet or DaemonSet comes back
 *   after ~100 ms: Running and Ready, restartCount 0, with a new random suffix (same name for
 *   StatefulSets); it gets the workload's `afterRestart` logs/proxy/providerStatus, else the
 *   old pod's logs. A ReplicaSet owner missing from the state is inferred from its name
 *   (`<deployment>-<hash>`); a Pod without ownerReferences whose labels match a
 *   Deployment's selector counts as that Deployment's pod.
 * - a changed pod template of a Deployment/StatefulSet/DaemonSet (`kubectl rollout restart`)
 *   replaces the workload's pods the same way.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { deepEqual } from './patch.js';
import { selectorObjectMatches } from './selectors.js';
import { nowIso, type StoreEvent } from './store.js';
import type { KubeObject } from './types.js';
import type { World } from './world.js';

const ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';
export const REPLACE_DELAY_MS = 100;

export function randomSuffix(n = 5): string {
  const bytes = randomBytes(n);
  let s = '';
  for (let i = 0; i < n; i++) s += ALPHABET[bytes[i]! % ALPHABET.length];
  return s;
}

interface Owner {
  kind: 'Deployment' | 'StatefulSet' | 'DaemonSet' | 'ReplicaSet';
  workload: string;
  newName(): string;
  stillExists(): boolean;
}

type Ref = { kind?: string; name?: string; controller?: boolean };

export function installControllers(world: World): void {
  const { store } = world;
  const reg = store.registry;
  const podDef = reg.get('', 'pods')!;
  const rsDef = reg.get('apps', 'replicasets')!;
  const deployDef = reg.get('apps', 'deployments')!;
  const stsDef = reg.get('apps', 'statefulsets')!;
  const dsDef = reg.get('apps', 'daemonsets')!;
  const nsDef = reg.get('', 'namespaces')!;

  function resolveOwner(pod: KubeObject): Owner | undefined {
    const ns = pod.metadata.namespace ?? 'default';
    const refs = (pod.metadata.ownerReferences ?? []) as Ref[];
    const ref = refs.find((r) => r.controller) ?? refs[0];
    if (ref && ref.name) {
      const refName = ref.name;
      if (ref.kind === 'ReplicaSet') {
        const rs = store.get(rsDef, ns, refName);
        let deploy: string | undefined;
        if (rs) {
          const dref = ((rs.metadata.ownerReferences ?? []) as Ref[]).find((r) => r.kind === 'Deployment');
          deploy = dref?.name;
        } else {
          const i = refName.lastIndexOf('-');
          const cand = i > 0 ? refName.slice(0, i) : undefined;
          if (!cand || !store.get(deployDef, ns, cand)) return undefined;
          deploy = cand;
        }
        return {
          kind: deploy ? 'Deployment' : 'ReplicaSet',
          workload: deploy ?? refName,
          newName: () => `${refName}-${randomSuffix()}`,
          stillExists: () => !!store.get(rsDef, ns, refName) || (!!deploy && !!store.get(deployDef, ns, deploy)),
        };
      }
      if (ref.kind === 'StatefulSet') {
        if (!store.get(stsDef, ns, refName)) return undefined;
        return { kind: 'StatefulSet', workload: refName, newName: () => pod.metadata.name, stillExists: () => !!store.get(stsDef, ns, refName) };
      }
      if (ref.kind === 'DaemonSet') {
        if (!store.get(dsDef, ns, refName)) return undefined;
        return { kind: 'DaemonSet', workload: refName, newName: () => `${refName}-${randomSuffix()}`, stillExists: () => !!store.get(dsDef, ns, refName) };
      }
      return undefined;
    }
    // no owner reference: a Deployment whose selector matches the pod's labels
    for (const d of store.list(deployDef, ns)) {
      const sel = (d.spec as { selector?: unknown } | undefined)?.selector;
      if (!selectorObjectMatches(sel, pod.metadata.labels)) continue;
      const dn = d.metadata.name;
      const podName = pod.metadata.name;
      const segs = podName.startsWith(`${dn}-`) ? podName.slice(dn.length + 1).split('-') : [];
      return {
        kind: 'Deployment',
        workload: dn,
        newName: () => (segs.length >= 2 ? `${dn}-${segs[0]}-${randomSuffix()}` : `${dn}-${randomSuffix()}`),
        stillExists: () => !!store.get(deployDef, ns, dn),
      };
    }
    return undefined;
  }

  function replacementPod(old: KubeObject, name: string, template?: Record<string, any>): KubeObject {
    const now = nowIso();
    const pod = structuredClone(old) as KubeObject & { spec?: Record<string, any>; status?: Record<string, any> };
    const md: KubeObject['metadata'] = { ...pod.metadata, name, uid: randomUUID(), creationTimestamp: now };
    delete md.deletionTimestamp;
    delete md.deletionGracePeriodSeconds;
    delete md.resourceVersion;
    delete md.managedFields;
    if (template) {
      const tmd = (template.metadata ?? {}) as Record<string, any>;
      if (tmd.labels) md.labels = { ...(md.labels ?? {}), ...tmd.labels };
      if (tmd.annotations) md.annotations = { ...(md.annotations ?? {}), ...tmd.annotations };
      if (template.spec) pod.spec = { ...structuredClone(template.spec), ...(pod.spec?.nodeName ? { nodeName: pod.spec.nodeName } : {}) };
    }
    pod.metadata = md;
    const spec = pod.spec ?? {};
    const cs = (list: unknown) =>
      ((Array.isArray(list) ? list : []) as { name: string; image?: string }[]).map((c) => ({
        name: c.name,
        image: c.image ?? '',
        imageID: '',
        containerID: `containerd://${randomBytes(32).toString('hex')}`,
        ready: true,
        started: true,
        restartCount: 0,
        state: { running: { startedAt: now } },
      }));
    const prev = (pod.status ?? {}) as Record<string, any>;
    const ip = `10.244.${1 + (randomBytes(1)[0]! % 250)}.${2 + (randomBytes(1)[0]! % 250)}`;
    pod.status = {
      phase: 'Running',
      conditions: ['PodReadyToStartContainers', 'Initialized', 'Ready', 'ContainersReady', 'PodScheduled'].map((type) => ({
        type,
        status: 'True',
        lastProbeTime: null,
        lastTransitionTime: now,
      })),
      ...(prev.hostIP ? { hostIP: prev.hostIP } : {}),
      podIP: spec.hostNetwork ? (prev.podIP ?? prev.hostIP ?? ip) : ip,
      podIPs: [{ ip: spec.hostNetwork ? (prev.podIP ?? prev.hostIP ?? ip) : ip }],
      startTime: now,
      containerStatuses: cs(spec.containers),
      ...(prev.qosClass ? { qosClass: prev.qosClass } : {}),
    };
    return pod;
  }

  function replace(old: KubeObject, template?: Record<string, any>): void {
    const owner = resolveOwner(old);
    if (!owner) return;
    const ns = old.metadata.namespace ?? 'default';
    world.later(REPLACE_DELAY_MS, () => {
      if (!store.get(nsDef, '', ns) || !owner.stillExists()) return;
      const name = owner.newName();
      if (store.get(podDef, ns, name)) return;
      const pod = replacementPod(old, name, template);
      // a modelled component derives its logs and answers itself (model.ts) when the pod is added
      const modelled = world.modelOwns(ns, owner.workload);
      const ar = modelled ? undefined : world.afterRestart[`${ns}/${owner.workload}`];
      const containers = ((pod.spec as { containers?: { name: string }[] } | undefined)?.containers ?? []).map((c) => c.name);
      if (ar?.logs) {
        for (const c of containers) world.logs.delete(`${ns}/${name}/${c}`);
        world.logs.set(`${ns}/${name}`, ar.logs);
      } else if (modelled) {
        world.logs.delete(`${ns}/${name}`);
        for (const c of containers) world.logs.delete(`${ns}/${name}/${c}`);
      } else if (name !== old.metadata.name) {
        const all = world.logs.get(`${ns}/${old.metadata.name}`);
        if (all) world.logs.set(`${ns}/${name}`, all);
        for (const c of containers) {
          const l = world.logs.get(`${ns}/${old.metadata.name}/${c}`);
          if (l) world.logs.set(`${ns}/${name}/${c}`, l);
        }
      }
      if (ar?.proxy) for (const [k, v] of Object.entries(ar.proxy)) world.proxy.set(k, v);
      store.put(podDef, pod);
      if (ar?.providerStatus) void world.provider.setSpec(ar.providerStatus);
    });
  }

  function podsOf(workload: KubeObject): KubeObject[] {
    const ns = workload.metadata.namespace ?? 'default';
    const sel = (workload.spec as { selector?: unknown } | undefined)?.selector;
    return store.list(podDef, ns).filter((p) => selectorObjectMatches(sel, p.metadata.labels));
  }

  /** pod uid -> new template, for pods removed by a rollout restart */
  const rolloutTemplates = new Map<string, Record<string, any>>();

  store.onEvent((e: StoreEvent) => {
    if (e.key === '/pods' && e.type === 'DELETED' && e.old) {
      const uid = String(e.old.metadata.uid ?? '');
      const tmpl = rolloutTemplates.get(uid);
      rolloutTemplates.delete(uid);
      replace(e.old, tmpl);
      return;
    }
    if (e.type === 'MODIFIED' && (e.key === 'apps/deployments' || e.key === 'apps/statefulsets' || e.key === 'apps/daemonsets')) {
      // the workload controller observes a new generation once the pods are replaced
      const gen = Number(e.obj.metadata.generation ?? 0);
      const st = (e.obj.status ?? {}) as Record<string, unknown>;
      if (gen > Number(st.observedGeneration ?? 0)) {
        const { key } = e;
        const ns = e.obj.metadata.namespace ?? 'default';
        const name = e.obj.metadata.name;
        world.later(REPLACE_DELAY_MS + 50, () => {
          const d = key === 'apps/deployments' ? deployDef : key === 'apps/statefulsets' ? stsDef : dsDef;
          const cur = store.get(d, ns, name);
          if (!cur) return;
          const g = Number(cur.metadata.generation ?? 0);
          const cst = (cur.status ?? {}) as Record<string, unknown>;
          if (g <= Number(cst.observedGeneration ?? 0)) return;
          // the rollout is complete: every replica runs the new template (kubectl rollout status reads these)
          const replicas = Number((cur.spec as { replicas?: number } | undefined)?.replicas ?? 1);
          const done: Record<string, unknown> = { observedGeneration: g };
          // a scale (spec.replicas only) changes no pod in the sim: only the generation is observed
          const scaled = cst.replicas !== undefined && Number(cst.replicas) !== replicas;
          if (scaled) {
            store.put(d, { ...cur, metadata: { ...cur.metadata }, status: { ...cst, ...done } });
            return;
          }
          if (key === 'apps/deployments') Object.assign(done, { replicas, updatedReplicas: replicas, readyReplicas: replicas, availableReplicas: replicas });
          if (key === 'apps/statefulsets') {
            const rev = `${name}-${randomSuffix(10)}`;
            Object.assign(done, { replicas, updatedReplicas: replicas, readyReplicas: replicas, currentReplicas: replicas, availableReplicas: replicas, currentRevision: rev, updateRevision: rev });
          }
          if (key === 'apps/daemonsets') {
            const desired = Number(cst.desiredNumberScheduled ?? 0);
            Object.assign(done, { updatedNumberScheduled: desired, numberAvailable: desired, numberReady: desired });
          }
          store.put(d, { ...cur, metadata: { ...cur.metadata }, status: { ...cst, ...done } });
        });
      }
    }
    if (e.type === 'MODIFIED' && e.old && (e.key === 'apps/deployments' || e.key === 'apps/statefulsets' || e.key === 'apps/daemonsets')) {
      const before = (e.old.spec as { template?: unknown } | undefined)?.template;
      const after = (e.obj.spec as { template?: Record<string, any> } | undefined)?.template;
      if (!after || deepEqual(before, after)) return;
      const workload = e.obj;
      world.later(0, () => {
        for (const p of podsOf(workload)) {
          rolloutTemplates.set(String(p.metadata.uid ?? ''), after);
          store.remove(podDef, p.metadata.namespace ?? 'default', p.metadata.name);
        }
      });
    }
  });
}
