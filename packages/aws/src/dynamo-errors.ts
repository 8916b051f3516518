/** True for DynamoDB's "your condition did not hold" on a single-item write. */
export function isConditionFailure(error: unknown): boolean {
  return (error as { name?: string })?.name === 'ConditionalCheckFailedException';
}

/**
 * Reasons a TransactWriteItems was cancelled, one per item in request order
 * (`None` for items that were fine); empty when it was not a cancellation.
 */
export function cancellationCodes(error: unknown): string[] {
  const e = error as { name?: string; CancellationReasons?: { Code?: string }[] };
  if (e?.name !== 'TransactionCanceledException') return [];
  return (e.CancellationReasons ?? []).map((r) => r.Code ?? 'None');
}
