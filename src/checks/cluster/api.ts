import { ClusterError } from '../../cluster/errors.js';
import { fail, pass, type Check, type Finding } from '../../core/types.js';

/** Plain words for each way the first request to the API server can fail. */
export function apiFailure(err: ClusterError, server: string, context: string): Finding {
  const code = codeOf(err);
  const details: Record<string, unknown> = { reason: err.kind, server, context, ...(code ? { code } : {}), ...(err.status ? { httpStatus: err.status } : {}), ...(err.details ?? {}) };
  switch (err.kind) {
    case 'not-kubernetes':
      return fail(err.message, {
        details,
        hint: `The server of context "${context}" must be the Kubernetes API server (usually port 6443), not a web server, load balancer page or login portal: kubectl --context ${context} get --raw /version`,
      });
    case 'plain-http':
      return fail(`the server at ${server} answered without TLS: that port speaks plain HTTP, not HTTPS (wrong port, or a plain-HTTP service where the API server was expected)`, {
        details,
        hint: `Point the server of context "${context}" at the API server's HTTPS port (usually 6443): kubectl --context ${context} get --raw /version`,
      });
    case 'client-cert-required':
      return fail(`the Kubernetes API server at ${server} demands a client certificate, and the user of context "${context}" has none`, {
        details,
        hint: `Add client-certificate-data and client-key-data (or a token) to the user of context "${context}", e.g. from /etc/kubernetes/admin.conf: kubectl --context ${context} auth whoami`,
      });
    case 'client-cert-rejected':
      return fail(`the Kubernetes API server at ${server} refused the client certificate of context "${context}" (not signed by its client CA, or expired)`, {
        details,
        hint: `Use a client certificate issued by this cluster's CA (kubeadm: /etc/kubernetes/admin.conf, or \`kubeadm kubeconfig user\`): kubectl --context ${context} auth whoami`,
      });
    case 'proxy':
      return fail(`the proxy in front of the Kubernetes API server at ${server} could not be used: ${err.message}`, {
        details,
        hint: `Check the proxy-url of the cluster of context "${context}" (or HTTPS_PROXY / NO_PROXY): kubectl --context ${context} get --raw /version`,
      });
    case 'connection-reset':
    case 'truncated':
      return fail(`the connection to the Kubernetes API server at ${server} broke off: ${err.message}`, {
        details,
        hint: `Something between here and ${server} (load balancer, firewall, proxy) closes connections, or the API server restarts: kubectl --context ${context} get --raw /readyz?verbose`,
      });
    case 'unreachable':
      return fail(`cannot reach the Kubernetes API server at ${server}${code ? ` (${code})` : ''}: nothing answered there`, {
        details,
        hint: `Check that the API server is up and that ${server} is the right address for context "${context}": kubectl --context ${context} cluster-info`,
      });
    case 'timeout':
      return fail(`the Kubernetes API server at ${server} did not answer in time`, {
        details,
        hint: `Check the network path to ${server} (firewall, VPN, load balancer) and raise --timeout if the cluster is slow: kubectl --context ${context} get --raw /version`,
      });
    case 'tls':
      return fail(`TLS handshake with the Kubernetes API server at ${server} failed${code ? ` (${code})` : ''}: the kubeconfig's certificate authority does not match the server's certificate`, {
        details,
        hint: `Use the kubeconfig your cluster generated (certificate-authority-data of cluster "${server}"), e.g. copy /etc/kubernetes/admin.conf from a control-plane node; test with: kubectl --context ${context} get --raw /version`,
      });
    case 'unauthorized':
      return fail(`the Kubernetes API server at ${server} rejected the credentials (401 Unauthorized): the token or client certificate of context "${context}" is invalid or expired`, {
        details,
        hint: `Refresh the credentials of context "${context}" (a new token or client certificate), then test with: kubectl --context ${context} auth whoami`,
      });
    case 'forbidden':
      return fail(`the Kubernetes API server at ${server} forbids these credentials to read its version (403)`, {
        details,
        hint: `Grant the user of context "${context}" read access (at least the system:public-info-viewer and view ClusterRoles): kubectl --context ${context} auth can-i --list`,
      });
    case 'throttled':
      return fail(`the Kubernetes API server at ${server} kept answering 429 Too Many Requests, even after retries: it is overloaded or rate-limits these credentials`, {
        details,
        hint: `Retry in a moment; if it persists, check the API server's load and its API priority and fairness settings: kubectl --context ${context} get --raw /readyz?verbose`,
      });
    case 'server':
      return fail(`the Kubernetes API server at ${server} answered with a server error (HTTP ${err.status ?? '5xx'}), even after retries`, {
        details,
        hint: `Check the API server and etcd health: kubectl --context ${context} get --raw /readyz?verbose`,
      });
    default:
      return fail(`the Kubernetes API server at ${server} answered its version request with an error: ${err.message}`, {
        details,
        hint: `Check the API server's health: kubectl --context ${context} get --raw /readyz?verbose`,
      });
  }
}

function codeOf(err: unknown): string | undefined {
  let e: any = err;
  for (let i = 0; i < 6 && e; i++) {
    if (typeof e.code === 'string' && e.code) return e.code;
    e = e.cause;
  }
  return undefined;
}

export const check: Check = {
  id: 'cluster.api',
  title: 'Kubernetes API server answers',
  category: 'cluster',
  doc: {
    what: 'Asks the Kubernetes API server of the current kubeconfig context for its version (GET /version) and its API versions (GET /api, kind APIVersions), as kubectl does on start-up, with the kubeconfig\'s own TLS settings, proxy and credentials, and reports that version. Redirects are not followed: an endpoint that answers anything else (a web page, a login redirect, `{}`) is not a Kubernetes API server.',
    why: 'Every other check reads the cluster through this API. When it cannot be reached, the TLS certificate does not match or the credentials are rejected, nothing else can be decided, so the other checks are skipped with this reason.',
    fix: 'Unreachable: check the server address and that the API server runs (`kubectl cluster-info`). TLS error: use the kubeconfig generated by your cluster (for example /etc/kubernetes/admin.conf) so the certificate authority matches. 401: refresh the token or client certificate, then test with `kubectl auth whoami`. Not a Kubernetes API server: point `server:` at the API server (usually port 6443), not at a web page or login portal. Plain HTTP on an https:// URL: use the API server\'s TLS port. Client certificate demanded or refused: use the client certificate and key your cluster issued.',
  },
  async run(ctx) {
    const server = ctx.cluster.client.server;
    const context = ctx.cluster.client.contextName;
    try {
      const v = await ctx.cluster.version();
      const version = v.gitVersion;
      return pass(`API server at ${server} answers, Kubernetes ${version}`, {
        details: { reason: 'api-ok', version, server, context, ...(v.platform ? { platform: v.platform } : {}) },
      });
    } catch (err) {
      if (err instanceof ClusterError) return apiFailure(err, server, context);
      throw err;
    }
  },
};
