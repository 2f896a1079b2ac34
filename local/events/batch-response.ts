/**
 * What a handler's answer says failed in a batch, under ReportBatchItemFailures (Lambda Developer
 * Guide, "Handling errors for an SQS event source", "Configuring partial batch response with
 * DynamoDB Streams"): `{ batchItemFailures: [{ itemIdentifier }] }` names the records that failed
 * (messageId for SQS, SequenceNumber for streams). No answer, an empty list, or an answer without
 * the field means the whole batch succeeded; an identifier that is empty or names no record of
 * the batch makes Lambda treat the whole batch as failed.
 *
 * Returns the identifiers that failed, in the batch's order.
 */
export function failedItems(response: unknown, batchIds: readonly string[]): string[] {
  if (!response || typeof response !== 'object' || !('batchItemFailures' in response)) return [];
  const failures = (response as { batchItemFailures: unknown }).batchItemFailures;
  if (failures === null || failures === undefined) return [];
  if (!Array.isArray(failures)) return [...batchIds];
  const named = new Set<string>();
  for (const failure of failures as unknown[]) {
    const id = failure && typeof failure === 'object' ? (failure as { itemIdentifier?: unknown }).itemIdentifier : undefined;
    if (typeof id !== 'string' || id === '' || !batchIds.includes(id)) return [...batchIds];
    named.add(id);
  }
  return batchIds.filter((id) => named.has(id));
}
