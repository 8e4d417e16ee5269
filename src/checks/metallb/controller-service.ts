import type * as k8s from '@kubernetes/client-node';
import { fail, pass, warn, type Check, type Remedy } from '../../core/types.js';
import { findMetallbController, labelsMatch, METALLB_NS, selectorString } from '../lib/akash.js';

export const SERVICE_NAME = 'controller';
export const PORT_NAME = 'monitoring';
export const METRICS_PORT = 7472;

/** The guide's command that creates the Service from the controller Deployment. */
export function exposeCommand(deployment: string): string {
  return `kubectl -n ${METALLB_NS} expose deployment ${deployment} --name=${SERVICE_NAME} --overrides='{"spec":{"ports":[{"protocol":"TCP","name":"${PORT_NAME}","port":${METRICS_PORT}}]}}'`;
}

export function exposeRemedy(deployment: string, replaceExisting: boolean): Remedy {
  return {
    summary: `${replaceExisting ? 'recreate' : 'create'} Service ${METALLB_NS}/${SERVICE_NAME} from Deployment ${deployment} with TCP port ${PORT_NAME} ${METRICS_PORT}`,
    commands: [...(replaceExisting ? [`kubectl -n ${METALLB_NS} delete service ${SERVICE_NAME}`] : []), exposeCommand(deployment)],
    fixId: 'metallb.expose-controller',
    params: { deployment },
  };
}

export type PortProblem = { code: 'missing' | 'misnamed' | 'wrong-number' | 'protocol' | 'target-port'; message: string };

function describePort(p: k8s.V1ServicePort): string {
  return `${p.name ? `"${p.name}" ` : ''}${p.port}/${p.protocol ?? 'TCP'}`;
}

/**
 * What is wrong with the Service's ports for the IP operator, or null when a TCP
 * port named `monitoring` on 7472 forwards to 7472 (or to a named container port
 * of the controller, checked against `containerPorts` when known).
 */
export function monitoringPortProblem(ports: readonly k8s.V1ServicePort[], containerPorts?: readonly k8s.V1ContainerPort[]): PortProblem | null {
  const mon = ports.find((p) => p.name === PORT_NAME);
  if (!mon) {
    const at7472 = ports.find((p) => p.port === METRICS_PORT || p.targetPort === METRICS_PORT);
    if (at7472) {
      return {
        code: 'misnamed',
        message: at7472.name
          ? `its port ${at7472.port} is named "${at7472.name}", not "${PORT_NAME}" (the IP operator looks the port up by the name "${PORT_NAME}")`
          : `its port ${at7472.port} has no name (the IP operator looks the port up by the name "${PORT_NAME}")`,
      };
    }
    return {
      code: 'missing',
      message: ports.length === 0 ? `it has no ports (needs TCP port "${PORT_NAME}" ${METRICS_PORT})` : `it has no port named "${PORT_NAME}" on ${METRICS_PORT} (ports: ${ports.map(describePort).join(', ')})`,
    };
  }
  const protocol = mon.protocol ?? 'TCP';
  if (protocol !== 'TCP') return { code: 'protocol', message: `its port "${PORT_NAME}" is ${protocol}, not TCP` };
  if (mon.port !== METRICS_PORT) {
    return { code: 'wrong-number', message: `its port "${PORT_NAME}" is ${mon.port}, not ${METRICS_PORT} (the MetalLB controller serves metrics on ${METRICS_PORT})` };
  }
  const target = mon.targetPort ?? mon.port;
  if (typeof target === 'number' || /^\d+$/.test(String(target))) {
    const n = Number(target);
    if (n !== METRICS_PORT) return { code: 'target-port', message: `its port "${PORT_NAME}" forwards to container port ${n}, but the MetalLB controller serves metrics on ${METRICS_PORT}` };
  } else if (containerPorts && !containerPorts.some((c) => c.name === target)) {
    return { code: 'target-port', message: `its port "${PORT_NAME}" forwards to the named port "${target}", which the controller pod does not have` };
  }
  return null;
}

function isControllerPod(pod: k8s.V1Pod, deploymentSelector: Record<string, string> | undefined): boolean {
  const labels = pod.metadata?.labels ?? {};
  if (deploymentSelector && labelsMatch(deploymentSelector, labels)) return true;
  return labels['app.kubernetes.io/component'] === 'controller' || labels.component === 'controller';
}

/** Running, not terminating, and Ready when the pod reports readiness: only ready pods are Service endpoints. */
const podRunning = (p: k8s.V1Pod): boolean => {
  if (p.status?.phase !== 'Running' || p.metadata?.deletionTimestamp) return false;
  const ready = (p.status?.conditions ?? []).find((c) => c.type === 'Ready');
  return !ready || ready.status === 'True';
};
const podState = (p: k8s.V1Pod): string => {
  const phase = p.status?.phase ?? 'Unknown';
  return phase === 'Running' && !p.metadata?.deletionTimestamp ? 'Running, not Ready' : phase;
};

export const check: Check = {
  id: 'metallb.controller-service',
  title: 'Service metallb-system/controller exposes port monitoring (7472) of a running controller',
  category: 'metallb',
  dependsOn: ['cluster.api', 'metallb.namespace'],
  doc: {
    what: 'Looks at Service controller in metallb-system: it must have a TCP port named monitoring on 7472, and its selector must match a running MetalLB controller pod (Helm Deployment metallb-controller or Kubespray/manifest Deployment controller).',
    why: 'The Akash IP operator finds MetalLB only through this Service, by its name and its port name (DNS SRV _monitoring._tcp.controller.metallb-system), and reads the address pool metrics from it. When the Service is missing, misnamed, on another port or selects no running controller, the operator cannot count free IPs and its barrier stays locked, which makes the provider hang.',
    fix: 'Create the Service from the controller Deployment as the guide does. Helm installs: `kubectl -n metallb-system expose deployment metallb-controller --name=controller --overrides=\'{"spec":{"ports":[{"protocol":"TCP","name":"monitoring","port":7472}]}}\'`. Kubespray/manifest installs: the same with `deployment controller`. If a wrong Service exists, delete it first: `kubectl -n metallb-system delete service controller`.',
  },
  async run(ctx) {
    const [svc, ctrl] = await Promise.all([ctx.cluster.getService(METALLB_NS, SERVICE_NAME), findMetallbController(ctx.cluster)]);
    const deployment = ctrl?.name;
    const depSelector = ctrl?.deployment.spec?.selector?.matchLabels;
    const noDeploymentNote = `no MetalLB controller Deployment (metallb-controller or controller) was found in ${METALLB_NS}: install MetalLB first`;

    if (!svc) {
      return fail(`Service ${METALLB_NS}/${SERVICE_NAME} is missing: the IP operator cannot find MetalLB's metrics`, {
        details: { service: `${METALLB_NS}/${SERVICE_NAME}`, problems: ['service-missing'], deployment: deployment ?? null },
        hint: deployment ? `Create it from Deployment ${deployment}: ${exposeCommand(deployment)}` : noDeploymentNote,
        ...(deployment ? { remedy: exposeRemedy(deployment, false) } : {}),
      });
    }

    const ports = svc.spec?.ports ?? [];
    const selector = svc.spec?.selector ?? {};
    const selStr = selectorString(selector);
    const problems: { code: string; message: string }[] = [];
    let warning: string | undefined;
    const details: Record<string, unknown> = {
      service: `${METALLB_NS}/${SERVICE_NAME}`,
      ports: ports.map((p) => ({ name: p.name ?? null, port: p.port, protocol: p.protocol ?? 'TCP', targetPort: p.targetPort ?? p.port })),
      selector: selStr,
      deployment: deployment ?? null,
    };

    let controllerPods: k8s.V1Pod[] = [];
    if (!selStr) {
      problems.push({ code: 'no-selector', message: 'it has no selector, so it forwards to no pod' });
    } else {
      const pods = await ctx.cluster.listPods(METALLB_NS, { labelSelector: selStr });
      controllerPods = pods.filter((p) => isControllerPod(p, depSelector));
      const others = pods.filter((p) => !isControllerPod(p, depSelector));
      const running = controllerPods.filter(podRunning);
      details.matchedPods = pods.map((p) => ({ name: p.metadata?.name, phase: p.status?.phase ?? 'Unknown', controller: isControllerPod(p, depSelector) }));
      if (pods.length === 0) {
        const want = depSelector ? ` (the controller pods carry ${selectorString(depSelector)})` : '';
        problems.push({ code: 'selector-matches-nothing', message: `its selector ${selStr} matches no pod in ${METALLB_NS}${want}` });
      } else if (controllerPods.length === 0) {
        problems.push({
          code: 'selector-matches-no-controller',
          message: `its selector ${selStr} matches only pods that are not the MetalLB controller (${others.map((p) => p.metadata?.name).slice(0, 3).join(', ')})`,
        });
      } else if (running.length === 0) {
        problems.push({
          code: 'controller-not-running',
          message: `its selector ${selStr} matches controller pod(s) but none is Running and Ready, so the Service has no endpoint (${controllerPods.map((p) => `${p.metadata?.name}: ${podState(p)}`).slice(0, 3).join(', ')})`,
        });
      } else if (others.length > 0) {
        warning = `its selector ${selStr} also matches ${others.length} pod(s) that are not the controller (${others.map((p) => p.metadata?.name).slice(0, 3).join(', ')}), so metrics requests are spread over pods without the address pool metrics`;
      }
    }

    const portProblem = monitoringPortProblem(ports, controllerPods.find(podRunning)?.spec?.containers?.flatMap((c) => c.ports ?? []));
    if (portProblem) problems.unshift(portProblem);

    if (problems.length > 0) {
      details.problems = problems.map((p) => p.code);
      const onlyNotRunning = problems.length === 1 && problems[0]!.code === 'controller-not-running';
      const message = `Service ${METALLB_NS}/${SERVICE_NAME}: ${problems.map((p) => p.message).join('; ')}`;
      if (onlyNotRunning) {
        return fail(message, {
          details,
          hint: `The Service is right but the MetalLB controller is not running or not ready: kubectl -n ${METALLB_NS} describe pod -l ${selStr}`,
        });
      }
      return fail(message, {
        details,
        hint: deployment
          ? `Recreate the Service from Deployment ${deployment}: kubectl -n ${METALLB_NS} delete service ${SERVICE_NAME} && ${exposeCommand(deployment)}`
          : noDeploymentNote,
        ...(deployment ? { remedy: exposeRemedy(deployment, true) } : {}),
      });
    }
    if (warning) {
      return warn(`Service ${METALLB_NS}/${SERVICE_NAME}: ${warning}`, {
        details,
        hint: deployment
          ? `Recreate the Service from Deployment ${deployment} so it selects only the controller: kubectl -n ${METALLB_NS} delete service ${SERVICE_NAME} && ${exposeCommand(deployment)}`
          : noDeploymentNote,
        ...(deployment ? { remedy: exposeRemedy(deployment, true) } : {}),
      });
    }
    const running = controllerPods.filter(podRunning).map((p) => p.metadata?.name);
    details.runningControllerPods = running;
    return pass(`Service ${METALLB_NS}/${SERVICE_NAME} has TCP port ${PORT_NAME} ${METRICS_PORT} and selects running controller pod ${running.join(', ')}`, { details });
  },
};
