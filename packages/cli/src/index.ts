// What the CLI's tests import; the command itself runs from bin/ and main.ts.
export { parseCommandArgs, timeArg } from './args.js';
export { type Io, UsageError } from './command.js';
export { type Explanation, explainEntries, formatExplanation } from './commands/explain.js';
export { type HistoryLine, historyLines } from './commands/history.js';
export {
  CLEAR_SCREEN,
  clusterStatus,
  cooldownText,
  cooldownUntil,
  countNodes,
  formatReconciliation,
  lastDecisionText,
  type StatusReport,
} from './commands/status.js';
export {
  isMoveTaskUnavailable,
  peekDeadLetters,
  replayDeadLetters,
  sendableAttributes,
} from './dead-letters.js';
export { networkErrorCode, readLocalDeployment, resolveDeployment } from './deployment.js';
export { main } from './main.js';
export { queueDepth } from './queues.js';
export { formatAge, formatPairs, formatTable } from './table.js';
