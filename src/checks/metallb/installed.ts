import type * as k8s from '@kubernetes/client-node';
import { fail, pass, type Check } from '../../core/types.js';
import { METALLB_NS, imageTag, selectorString } from '../lib/akash.js';
import { RECOMMENDED_METALLB, findController, parseVersionTag } from '../lib/metallb.js';

const HELM_INSTALL = ['helm repo add metallb https://metallb.github.io/metallb', `helm -n ${METALLB_NS} install metallb metallb/metallb --version ${RECOMMENDED_METALLB}`];

/** Why a pod is not running, in a few words (`ImagePullBackOff`, `CrashLoopBackOff`, `Pending`). */
export function podProblem(pod: k8s.V1Pod): string {
  for (const cs of pod.status?.containerStatuses ?? []) {
    if (cs.state?.waiting?.reason) return cs.state.waiting.reason;
    if (cs.state?.terminated?.reason) return cs.state.terminated.reason;
  }
  const unsched = (pod.status?.conditions ?? []).find((c) => c.type === 'PodScheduled' && c.status === 'False');
  if (unsched) return `unschedulable${unsched.reason ? ` (${unsched.reason})` : ''}`;
  return pod.status?.phase ?? 'Unknown';
}

export const check: Check = {
  id: 'metallb.installed',
  title: 'MetalLB controller is installed and available',
  category: 'metallb',
  dependsOn: ['cluster.api', 'metallb.namespace'],
  doc: {
    what: 'Looks for the MetalLB controller Deployment in metallb-system by its labels, not by one name: app.kubernetes.io/name=metallb + app.kubernetes.io/component=controller from the Helm chart (object `<fullname>-controller`, fullname = the release name when it contains "metallb", else `<release>-metallb`; metallb/metallb:charts/metallb/templates/_helpers.tpl:14-25 and templates/controller.yaml:5-9 at v0.14.9), or app=metallb + component=controller from the plain manifests and Kubespray (Deployment `controller`; metallb/metallb:config/manifests/metallb-native.yaml:1678-1698 at v0.14.9); a relabelled Deployment is still recognised by its quay.io/metallb/controller image. Checks that at least one replica is available, and reports the install method, the Helm release and the version from the image tag. details.reason: controller-available, controller-missing, controller-scaled-to-zero, controller-unavailable.',
    why: 'The controller hands out the addresses of the IP pools to LoadBalancer Services and serves the metrics the Akash IP operator counts free IPs from. Without an available controller no lease Service gets an IP and the operator cannot start.',
    fix: 'Install MetalLB with Helm: `helm repo add metallb https://metallb.github.io/metallb` then `helm -n metallb-system install metallb metallb/metallb --version 0.14.9`. If the Deployment exists but is not available, look at its pods: `kubectl -n metallb-system describe pod -l app.kubernetes.io/name=metallb,app.kubernetes.io/component=controller` (Helm) or `-l app=metallb,component=controller` (manifests/Kubespray).',
  },
  async run(ctx) {
    const ctrl = await findController(ctx.cluster);
    if (!ctrl) {
      return fail(`no MetalLB controller Deployment in ${METALLB_NS} (looked for the labels app.kubernetes.io/name=metallb,app.kubernetes.io/component=controller of the Helm chart, app=metallb,component=controller of manifests/Kubespray, and the metallb/controller image)`, {
        details: { reason: 'controller-missing', namespace: METALLB_NS, looked: ['app.kubernetes.io/name=metallb,app.kubernetes.io/component=controller', 'app=metallb,component=controller', 'image quay.io/metallb/controller'] },
        hint: `Install MetalLB ${RECOMMENDED_METALLB}: ${HELM_INSTALL.join(' && ')}`,
        remedy: { summary: `install MetalLB ${RECOMMENDED_METALLB} with Helm into ${METALLB_NS}`, commands: HELM_INSTALL, fixId: 'metallb.install' },
      });
    }
    const dep = ctrl.deployment;
    const ref = `${METALLB_NS}/${ctrl.name}`;
    const img = imageTag(dep.spec?.template?.spec, /metallb\/controller/);
    const version = parseVersionTag(img?.tag);
    const method = ctrl.method === 'helm' ? `Helm${ctrl.release ? ` (release ${ctrl.release})` : ''}` : 'manifests/Kubespray';
    const desired = dep.spec?.replicas ?? 1;
    const available = dep.status?.availableReplicas ?? 0;
    const availableCond = (dep.status?.conditions ?? []).find((c) => c.type === 'Available');
    const details: Record<string, unknown> = {
      deployment: ref,
      method: ctrl.method,
      release: ctrl.release,
      foundBy: ctrl.foundBy,
      image: img?.image ?? null,
      version: version ? version.text : (img?.tag ?? null),
      replicas: desired,
      availableReplicas: available,
      availableCondition: availableCond ? { status: availableCond.status, reason: availableCond.reason ?? null } : null,
    };
    const versionText = version ? `version ${version.text}` : img?.tag ? `image tag ${img.tag}` : 'no version tag';

    if (desired === 0) {
      details.reason = 'controller-scaled-to-zero';
      return fail(`MetalLB controller ${ref} is scaled to 0 replicas: nothing hands out LoadBalancer IPs`, {
        details,
        hint: `Scale it back up: kubectl -n ${METALLB_NS} scale deployment ${ctrl.name} --replicas=1`,
        remedy: { summary: `scale ${ref} to 1 replica`, commands: [`kubectl -n ${METALLB_NS} scale deployment ${ctrl.name} --replicas=1`] },
      });
    }
    if (available < 1) {
      details.reason = 'controller-unavailable';
      // say why, from the pods when we can (bounded: one list by the Deployment's selector)
      const sel = selectorString(dep.spec?.selector?.matchLabels);
      let why = '';
      if (sel) {
        const pods = await ctx.cluster.listPods(METALLB_NS, { labelSelector: sel });
        details.pods = pods.slice(0, 5).map((p) => ({ name: p.metadata?.name, phase: p.status?.phase ?? 'Unknown', problem: podProblem(p) }));
        if (pods.length === 0) why = 'no controller pod exists';
        else why = `pod ${pods[0]!.metadata?.name}: ${podProblem(pods[0]!)}`;
      } else if (availableCond?.reason) why = `condition Available=${availableCond.status} (${availableCond.reason})`;
      return fail(`MetalLB controller ${ref} is not available: 0/${desired} replicas available${why ? ` (${why})` : ''}`, {
        details,
        hint: `See why the controller pod does not become ready: kubectl -n ${METALLB_NS} describe pod${sel ? ` -l ${sel}` : ''} && kubectl -n ${METALLB_NS} logs deployment/${ctrl.name}`,
      });
    }
    details.reason = 'controller-available';
    return pass(`MetalLB controller ${ref} available (${available}/${desired}), installed with ${method}, ${versionText}`, { details });
  },
};
