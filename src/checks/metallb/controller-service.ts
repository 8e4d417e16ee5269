import type * as k8s from '@kubernetes/client-node';
import { fail, pass, warn, type Check, type Remedy } from '../../core/types.js';
import { labelsMatch, METALLB_NS, selectorString } from '../lib/akash.js';
import { compareVersion, controllerVersion, findController } from '../lib/metallb.js';

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

export type PortProblem = { code: 'port-missing' | 'port-misnamed' | 'port-protocol' | 'target-port' | 'target-port-unresolved'; message: string };

function describePort(p: k8s.V1ServicePort): string {
  return `${p.name ? `"${p.name}" ` : ''}${p.port}/${p.protocol ?? 'TCP'}`;
}

/**
 * The controller's metrics port: its `--port` flag (Go `flag`: `--port=N`, `-port=N`,
 * `--port N`; the last one wins), else the binary's default (7472 up to 0.15,
 * metallb/metallb:controller/main.go:152 at v0.14.9; 9120 from 0.16,
 * controller/main.go:161 at v0.16.0).
 */
export function controllerMetricsPort(dep: k8s.V1Deployment | undefined, major016 = false): number {
  const containers = dep?.spec?.template?.spec?.containers ?? [];
  const c = containers.find((x) => x.name === 'controller') ?? containers.find((x) => /metallb\/controller/.test(x.image ?? '')) ?? containers[0];
  const argv = [...(c?.command ?? []).slice(1), ...(c?.args ?? [])];
  let port: number | undefined;
  for (let i = 0; i < argv.length; i++) {
    const m = /^--?port(?:=(.*))?$/.exec(argv[i]!);
    if (!m) continue;
    const v = m[1] ?? argv[i + 1];
    if (v !== undefined && /^\d+$/.test(v)) port = Number(v);
  }
  return port ?? (major016 ? 9120 : METRICS_PORT);
}

/**
 * What is wrong with the Service's ports for the IP operator, or null. The operator
 * looks the port up by its NAME (DNS SRV `_monitoring._tcp.controller.metallb-system`,
 * or the API proxy `controller:monitoring`; akash-network/provider
 * cluster/kube/operators/clients/metallb/client.go:113 and cluster/util/service_discovery_agent.go),
 * so the Service port number is free; what matters is that the TCP port named
 * `monitoring` forwards to the controller's metrics port (`metricsPort`, 7472): a
 * numeric targetPort equal to it, or a named one that a controller container port
 * of that number carries (checked when `containerPorts` are known).
 */
export function monitoringPortProblem(ports: readonly k8s.V1ServicePort[], containerPorts?: readonly k8s.V1ContainerPort[], metricsPort = METRICS_PORT): PortProblem | null {
  const mon = ports.find((p) => p.name === PORT_NAME);
  if (!mon) {
    const reaching = ports.find((p) => {
      const t = p.targetPort ?? p.port;
      return p.port === metricsPort || Number(t) === metricsPort || (containerPorts ?? []).some((c) => c.name === t && c.containerPort === metricsPort);
    });
    if (reaching) {
      return {
        code: 'port-misnamed',
        message: reaching.name
          ? `its port ${reaching.port} is named "${reaching.name}", not "${PORT_NAME}" (the IP operator looks the port up by the name "${PORT_NAME}")`
          : `its port ${reaching.port} has no name (the IP operator looks the port up by the name "${PORT_NAME}")`,
      };
    }
    return {
      code: 'port-missing',
      message: ports.length === 0 ? `it has no ports (needs TCP port "${PORT_NAME}" to the controller's ${metricsPort})` : `it has no port named "${PORT_NAME}" (ports: ${ports.map(describePort).join(', ')})`,
    };
  }
  const protocol = mon.protocol ?? 'TCP';
  if (protocol !== 'TCP') return { code: 'port-protocol', message: `its port "${PORT_NAME}" is ${protocol}, not TCP` };
  const target = mon.targetPort ?? mon.port;
  if (typeof target === 'number' || /^\d+$/.test(String(target))) {
    const n = Number(target);
    if (n !== metricsPort) {
      return { code: 'target-port', message: `its port "${PORT_NAME}" (${mon.port}) forwards to container port ${n}, but the MetalLB controller serves metrics on ${metricsPort}` };
    }
  } else if (containerPorts) {
    const cp = containerPorts.find((c) => c.name === target);
    if (!cp) return { code: 'target-port-unresolved', message: `its port "${PORT_NAME}" forwards to the named port "${target}", which the controller pod does not have` };
    if (cp.containerPort !== metricsPort) {
      return { code: 'target-port', message: `its port "${PORT_NAME}" forwards to the named port "${target}" = ${cp.containerPort}, but the MetalLB controller serves metrics on ${metricsPort}` };
    }
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
  title: 'Service metallb-system/controller has port monitoring to a running controller\'s metrics port',
  category: 'metallb',
  dependsOn: ['cluster.api', 'metallb.namespace'],
  doc: {
    what: 'Looks at Service controller in metallb-system: it must have a TCP port NAMED monitoring whose target reaches the controller\'s metrics port (its --port flag, 7472 by default: metallb/metallb:controller/main.go:152 at v0.14.9) — a numeric targetPort equal to it, or a named targetPort that a controller container port of that number carries. The Service port number itself is free: the IP operator resolves the port by its name. Its selector must match a running, ready MetalLB controller pod (the controller is found by its labels, whatever the Helm release is called). details.reason: service-ok, service-missing, selects-other-pods, port-missing, port-misnamed, port-protocol, target-port, target-port-unresolved, no-selector, selector-matches-nothing, selector-matches-no-controller, controller-not-running.',
    why: 'The Akash IP operator finds MetalLB only through this Service, by its name and its port NAME: NewServiceDiscoveryAgent(…, "monitoring", "controller", "metallb-system", …) in akash-network/provider:cluster/kube/operators/clients/metallb/client.go:113, resolved by DNS SRV _monitoring._tcp.controller.metallb-system.svc.cluster.local in cluster or by the API proxy controller:monitoring out of cluster (cluster/util/service_discovery_agent.go), taking the port number from the SRV record. It reads the pool metrics from there over plain HTTP. When the Service is missing, has no port named monitoring, forwards it elsewhere or selects no running controller, the operator cannot count free IPs and its barrier stays locked, which makes the provider hang.',
    fix: 'Create the Service from the controller Deployment as the guide does, with the Deployment name this check reports: Helm release metallb: `kubectl -n metallb-system expose deployment metallb-controller --name=controller --overrides=\'{"spec":{"ports":[{"protocol":"TCP","name":"monitoring","port":7472}]}}\'` (another release `<r>`: `deployment <r>-metallb-controller`, or `<r>-controller` when the release name contains "metallb"); Kubespray/manifest installs: `deployment controller`. If a wrong Service exists, delete it first: `kubectl -n metallb-system delete service controller`.',
  },
  async run(ctx) {
    const [svc, ctrl, version] = await Promise.all([ctx.cluster.getService(METALLB_NS, SERVICE_NAME), findController(ctx.cluster), controllerVersion(ctx.cluster)]);
    const deployment = ctrl?.name;
    const depSelector = ctrl?.deployment.spec?.selector?.matchLabels;
    // 0.16+ serves metrics only over HTTPS (its --port, 9120): no port would do for the operator's
    // plain-HTTP scrape, so the Service is judged against the 7472 of the versions that work (see metallb.version)
    const v016 = !!version?.version && compareVersion(version.version, { major: 0, minor: 16, patch: 0 }) >= 0;
    const metricsPort = v016 ? METRICS_PORT : controllerMetricsPort(ctrl?.deployment);
    const noDeploymentNote = `no MetalLB controller Deployment was found in ${METALLB_NS} (by its labels or image): install MetalLB first`;

    if (!svc) {
      return fail(`Service ${METALLB_NS}/${SERVICE_NAME} is missing: the IP operator cannot find MetalLB's metrics`, {
        details: { reason: 'service-missing', service: `${METALLB_NS}/${SERVICE_NAME}`, problems: ['service-missing'], deployment: deployment ?? null },
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
      metricsPort,
      ...(v016 ? { note: `MetalLB ${version!.version!.text} serves no plain-HTTP metrics; the Service is judged for ${METRICS_PORT} (see metallb.version)` } : {}),
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

    // named targetPorts resolve against the pods' container ports (else the Deployment's template)
    const containerPorts =
      controllerPods.find(podRunning)?.spec?.containers?.flatMap((c) => c.ports ?? []) ?? ctrl?.deployment.spec?.template?.spec?.containers?.flatMap((c) => c.ports ?? []);
    const portProblem = monitoringPortProblem(ports, containerPorts, metricsPort);
    if (portProblem) problems.unshift(portProblem);

    if (problems.length > 0) {
      details.problems = problems.map((p) => p.code);
      details.reason = problems[0]!.code;
      const message = `Service ${METALLB_NS}/${SERVICE_NAME}: ${problems.map((p) => p.message).join('; ')}`;
      const onlyNotRunning = problems.length === 1 && problems[0]!.code === 'controller-not-running';
      // only the target is wrong: point it at the controller's metrics port (recreating from the
      // Deployment would forward to 7472 again, wrong for a controller started with another --port)
      if (problems.length === 1 && (problems[0]!.code === 'target-port' || problems[0]!.code === 'target-port-unresolved')) {
        const i = ports.findIndex((p) => p.name === PORT_NAME);
        const cmd = `kubectl -n ${METALLB_NS} patch service ${SERVICE_NAME} --type=json -p '[{"op":"replace","path":"/spec/ports/${i}/targetPort","value":${metricsPort}}]'`;
        return fail(message, {
          details,
          hint: `Point port "${PORT_NAME}" at the controller's metrics port ${metricsPort}: ${cmd}`,
          remedy: { summary: `set targetPort of port ${PORT_NAME} of Service ${METALLB_NS}/${SERVICE_NAME} to ${metricsPort}`, commands: [cmd], fixId: 'metallb.expose-controller', ...(deployment ? { params: { deployment } } : {}) },
        });
      }
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
      details.reason = 'selects-other-pods';
      return warn(`Service ${METALLB_NS}/${SERVICE_NAME}: ${warning}`, {
        details,
        hint: deployment
          ? `Recreate the Service from Deployment ${deployment} so it selects only the controller: kubectl -n ${METALLB_NS} delete service ${SERVICE_NAME} && ${exposeCommand(deployment)}`
          : noDeploymentNote,
        ...(deployment ? { remedy: exposeRemedy(deployment, true) } : {}),
      });
    }
    const running = controllerPods.filter(podRunning).map((p) => p.metadata?.name);
    const mon = ports.find((p) => p.name === PORT_NAME)!;
    details.runningControllerPods = running;
    details.reason = 'service-ok';
    return pass(`Service ${METALLB_NS}/${SERVICE_NAME} has TCP port ${PORT_NAME} (${mon.port} -> ${mon.targetPort ?? mon.port}, the controller's ${metricsPort}) and selects running controller pod ${running.join(', ')}`, { details });
  },
};
