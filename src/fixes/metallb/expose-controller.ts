import type * as k8s from '@kubernetes/client-node';
import { KINDS, type KubeObject } from '../../cluster/writer.js';
import { METALLB_NS, selectorString } from '../../checks/lib/akash.js';
import { compareVersion, controllerVersion, findController, findSpeakerWorkload, labelSelectorMatches } from '../../checks/lib/metallb.js';
import { METRICS_PORT, PORT_NAME, SERVICE_NAME, controllerMetricsPort } from '../../checks/metallb/controller-service.js';
import { createStep, shq, updateStep } from '../lib.js';
import type { Fix, FixStep } from '../types.js';
import { helmNote, isHelmManaged } from './common.js';

type Port = k8s.V1ServicePort;

/** The container port the controller serves metrics on: by name when the container names it. */
export function metricsTarget(dep: k8s.V1Deployment): number | string {
  const port = controllerMetricsPort(dep);
  const containers = dep.spec?.template?.spec?.containers ?? [];
  const c = containers.find((x) => x.name === 'controller') ?? containers.find((x) => /metallb\/controller/.test(x.image ?? '')) ?? containers[0];
  const cp = (c?.ports ?? []).find((p) => p.containerPort === port && (p.protocol ?? 'TCP') === 'TCP' && p.name);
  return cp?.name ?? port;
}

/** The ports with a correct TCP port `monitoring` (an existing one renamed/retargeted, else added). */
export function desiredPorts(ports: readonly Port[], target: number | string, containerPorts: readonly k8s.V1ContainerPort[], metricsPort: number): Port[] {
  const out = ports.map((p) => ({ ...p }));
  const reaches = (p: Port) => {
    const t = p.targetPort ?? p.port;
    return Number(t) === metricsPort || containerPorts.some((c) => c.name === t && c.containerPort === metricsPort);
  };
  let i = out.findIndex((p) => p.name === PORT_NAME);
  if (i < 0) i = out.findIndex((p) => (p.protocol ?? 'TCP') === 'TCP' && (reaches(p) || p.port === METRICS_PORT));
  const want: Port = { name: PORT_NAME, protocol: 'TCP', port: METRICS_PORT, targetPort: target as never };
  if (i < 0) {
    // another port on 7472 (other name) would clash: give monitoring that slot
    const clash = out.findIndex((p) => p.port === METRICS_PORT && (p.protocol ?? 'TCP') === 'TCP');
    if (clash >= 0) out[clash] = { ...out[clash], ...want };
    else out.push(want);
  } else if (reaches(out[i]!) && (out[i]!.protocol ?? 'TCP') === 'TCP') {
    // it already forwards to the metrics port: only the name may be wrong (the port number is free)
    out[i] = { ...out[i]!, name: PORT_NAME };
  } else {
    const clash = out.findIndex((p, j) => j !== i && p.port === METRICS_PORT && (p.protocol ?? 'TCP') === 'TCP');
    out[i] = { ...out[i], ...want, ...(clash >= 0 ? { port: out[i]!.port } : {}) };
  }
  return out;
}

function samePorts(a: readonly Port[], b: readonly Port[]): boolean {
  const norm = (ps: readonly Port[]) => JSON.stringify(ps.map((p) => [p.name ?? '', p.protocol ?? 'TCP', p.port, String(p.targetPort ?? p.port), p.nodePort ?? null]));
  return norm(a) === norm(b);
}

/**
 * Is the Service's selector fine: non-empty, matching the controller's pod-template labels
 * and not the speaker's? Then it stays (no churn); otherwise it becomes the template labels.
 */
export function selectorOk(selector: Record<string, string> | undefined, controllerLabels: Record<string, string>, speakerLabels: Record<string, string> | null): boolean {
  if (!selector || Object.keys(selector).length === 0) return false;
  if (!labelSelectorMatches({ matchLabels: selector }, controllerLabels)) return false;
  if (speakerLabels && labelSelectorMatches({ matchLabels: selector }, speakerLabels)) return false;
  return true;
}

export const fix: Fix = {
  id: 'metallb.expose-controller',
  title: 'Create or repair Service metallb-system/controller (TCP port monitoring to the controller metrics)',
  addresses: ['metallb.controller-service', 'metallb.metrics'],
  risk: 'safe',
  order: 50,
  doc:
    'The IP operator finds MetalLB only through Service controller in metallb-system and its port NAMED monitoring, scraped over plain HTTP (akash-network/provider:cluster/kube/operators/clients/metallb/client.go:113, NewServiceDiscoveryAgent(…, "monitoring", "controller", "metallb-system", …)). ' +
    'This creates the Service as the guide\'s `kubectl expose deployment … --name=controller` does: selector = the controller Deployment\'s pod-template labels (Helm `<fullname>-controller` or manifest/Kubespray `controller`, found by labels), TCP port monitoring 7472 with targetPort the controller\'s metrics port (its --port, 7472 by default: metallb/metallb:controller/main.go:152 at v0.14.9; by the container port name monitoring when the container names it, config/manifests/metallb-native.yaml:2013-2014). ' +
    'An existing Service is repaired in place (a conditional update keeping its other fields): the port renamed or retargeted, a selector that matches no controller or also the speaker replaced. Refused for MetalLB 0.16 and later: its controller serves metrics only over HTTPS on 9120 (metallb/metallb:internal/k8s/k8s.go:149-151 at v0.16.0), which no Service can make the operator read; see metallb.pin-version.',
  async plan(ctx) {
    const [ctrl, version] = await Promise.all([findController(ctx.cluster), controllerVersion(ctx.cluster)]);
    if (!ctrl) return { skip: `no MetalLB controller Deployment in ${METALLB_NS} to expose (install MetalLB first: metallb.install)` };
    if (version?.version && compareVersion(version.version, { major: 0, minor: 16, patch: 0 }) >= 0) {
      return { skip: `MetalLB ${version.version.text} serves its metrics only over HTTPS with authorization on 9120, which the IP operator cannot scrape: no Service can fix that; go back to a 0.15 release (manual fix metallb.pin-version)` };
    }
    const dep = ctrl.deployment;
    const podLabels = { ...(dep.spec?.template?.metadata?.labels ?? dep.spec?.selector?.matchLabels ?? {}) };
    if (Object.keys(podLabels).length === 0) return { skip: `Deployment ${METALLB_NS}/${ctrl.name} has no pod-template labels to select its pods by` };
    const speaker = await findSpeakerWorkload(ctx.cluster);
    const speakerLabels = speaker?.daemonSet.spec?.template?.metadata?.labels ?? null;
    const metricsPort = controllerMetricsPort(dep);
    const target = metricsTarget(dep);
    const containerPorts = (dep.spec?.template?.spec?.containers ?? []).flatMap((c) => c.ports ?? []);
    const ref = { kind: KINDS.service, namespace: METALLB_NS, name: SERVICE_NAME };
    const svc = await ctx.writer.get(KINDS.service, METALLB_NS, SERVICE_NAME, ctx.signal);
    const notes: string[] = [];
    if (ctrl.method === 'manifest') notes.push('Kubespray and the plain manifests do not create Service controller (upstream-facts 1.4): a playbook run leaves this Service alone.');

    if (!svc) {
      const obj: KubeObject = {
        metadata: { name: SERVICE_NAME, namespace: METALLB_NS },
        spec: { selector: podLabels, ports: [{ name: PORT_NAME, protocol: 'TCP', port: METRICS_PORT, targetPort: target }] },
      };
      return {
        summary: `create Service ${METALLB_NS}/${SERVICE_NAME} selecting the pods of Deployment ${ctrl.name} (${selectorString(podLabels)}), TCP port ${PORT_NAME} ${METRICS_PORT} -> ${target}`,
        steps: [createStep(KINDS.service, obj, `create Service ${METALLB_NS}/${SERVICE_NAME} with TCP port ${PORT_NAME} ${METRICS_PORT} to the controller's metrics port ${target}`)],
        notes,
      };
    }

    const change = (fresh: KubeObject): KubeObject | null => {
      const spec = (fresh.spec ?? {}) as k8s.V1ServiceSpec;
      const ports = desiredPorts(spec.ports ?? [], target, containerPorts, metricsPort);
      const keepSelector = selectorOk(spec.selector, podLabels, speakerLabels);
      if (samePorts(spec.ports ?? [], ports) && keepSelector) return null;
      return { ...fresh, spec: { ...spec, ports, selector: keepSelector ? spec.selector : podLabels } };
    };
    const after = change(structuredClone(svc));
    if (!after) return { skip: `Service ${METALLB_NS}/${SERVICE_NAME} already has TCP port ${PORT_NAME} to the controller's metrics port and selects the controller pods` };
    const oldSpec = (svc.spec ?? {}) as k8s.V1ServiceSpec;
    const newSpec = after.spec as k8s.V1ServiceSpec;
    const what: string[] = [];
    if (!samePorts(oldSpec.ports ?? [], newSpec.ports ?? [])) what.push(`port ${PORT_NAME} ${METRICS_PORT} -> ${target}`);
    const selectorChanged = selectorString(oldSpec.selector) !== selectorString(newSpec.selector);
    if (selectorChanged) what.push(`selector ${selectorString(oldSpec.selector) || '(none)'} -> ${selectorString(newSpec.selector)}`);
    // the same change as a merge patch: ports replace the list, removed selector keys are nulled
    const selPatch: Record<string, string | null> = { ...(newSpec.selector ?? {}) };
    for (const k of Object.keys(oldSpec.selector ?? {})) if (!(k in selPatch)) selPatch[k] = null;
    const patch = { spec: { ports: newSpec.ports, ...(selectorChanged ? { selector: selPatch } : {}) } };
    const command = `kubectl -n ${METALLB_NS} patch service ${SERVICE_NAME} --type merge -p ${shq(JSON.stringify(patch))}`;
    if (isHelmManaged(svc)) notes.push(helmNote(svc, `Service ${METALLB_NS}/${SERVICE_NAME}`));
    const step: FixStep = updateStep(ref, svc, change, `repair Service ${METALLB_NS}/${SERVICE_NAME}: ${what.join('; ')}`, command);
    return { summary: `repair Service ${METALLB_NS}/${SERVICE_NAME} (${what.join('; ')}), keeping its other fields`, steps: [step], notes };
  },
};
