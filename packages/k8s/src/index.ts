export type {
  ClusterClientOptions,
  EvictionResult,
  NodeDeleteResult,
  PodRef,
} from './cluster-client.ts';
export { ClusterClient, forEachListed } from './cluster-client.ts';
export type { KubeAccess, KubeAccessMode } from './kubeconfig.ts';
export {
  kubeAccessMode,
  kubeConfigFor,
  kubeConfigFromEnv,
  kubeConfigInCluster,
  SERVICE_ACCOUNT_DIR,
} from './kubeconfig.ts';
export {
  CONTROL_PLANE_ROLE_LABELS,
  CORDONED_BY_ANNOTATION,
  DRAIN_DEADLINE_ANNOTATION,
  isControlPlaneNode,
  isNodeReady,
  NODE_LABELS,
  parseProviderId,
  providerIdFor,
  toNodeInfo,
} from './nodes.ts';
export {
  DO_NOT_DISRUPT_ANNOTATIONS,
  hasDoNotDisrupt,
  isUnschedulable,
  ownerOf,
  pdbSelects,
  podRequests,
  selectorMatches,
  toPendingPod,
  toPodInfo,
  usesLocalStorage,
} from './pods.ts';
export { cpuMillis, memoryBytes, parseQuantity } from './quantity.ts';
