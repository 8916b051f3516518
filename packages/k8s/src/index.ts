// What the services and the local environment use of the Kubernetes side.
export { ClusterClient } from './cluster-client.ts';
export { kubeConfigFor, kubeConfigFromEnv, SERVICE_ACCOUNT_DIR } from './kubeconfig.ts';
export {
  CORDONED_BY_ANNOTATION,
  DRAIN_DEADLINE_ANNOTATION,
  isNodeReady,
  NODE_LABELS,
  parseProviderId,
} from './nodes.ts';
export { ParameterToken, tokenExpiry } from './parameter-token.ts';
export { ownerOf, podRequests } from './pods.ts';
export { cpuMillis, memoryBytes } from './quantity.ts';
