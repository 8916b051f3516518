// The JSON CloudWatch publishes to an SNS topic when an alarm changes state.
// It is not a SmartScale envelope: it arrives on the `alarms` topic, and the
// notifier tells people about it. Only the fields the notifier shows are
// required; CloudWatch adds more (AlarmActions, Trigger details, ...).
import { z } from 'zod';
import { type AnyEnvelope, parseMessage } from './envelope.js';
import { type Parsed, parseJsonText, safeParseWith } from './validation.js';

const AlarmState = z.enum(['ALARM', 'OK', 'INSUFFICIENT_DATA']);

export const AlarmNotificationSchema = z.object({
  AlarmName: z.string().min(1, 'expected the alarm name'),
  AlarmDescription: z.string().nullish(),
  AWSAccountId: z.string().min(1, 'expected the account id'),
  NewStateValue: AlarmState,
  OldStateValue: AlarmState.optional(),
  NewStateReason: z.string(),
  // CloudWatch writes e.g. 2026-11-30T10:00:00.000+0000, which is not strict ISO.
  StateChangeTime: z.string().min(1, 'expected when the state changed'),
  // The region's long name, e.g. "EU (Ireland)".
  Region: z.string(),
  AlarmArn: z.string().optional(),
  Trigger: z
    .object({
      MetricName: z.string().optional(),
      Namespace: z.string().optional(),
      Dimensions: z.array(z.object({ name: z.string(), value: z.string() })).optional(),
    })
    .optional(),
});
export type AlarmNotification = z.output<typeof AlarmNotificationSchema>;

/** What reaches the notifier: a SmartScale event or a CloudWatch alarm change. */
export type Notification =
  | { readonly kind: 'event'; readonly event: AnyEnvelope }
  | { readonly kind: 'alarm'; readonly alarm: AlarmNotification };

/**
 * Parses a notifier queue body: a CloudWatch alarm notification (it has
 * `AlarmName`) or a SmartScale envelope. Errors name the field and what was
 * expected, so a malformed message reaches the DLQ with its reason.
 *
 * @example
 * const parsed = parseNotificationJson(record.body);
 * if (parsed.ok && parsed.value.kind === 'alarm') parsed.value.alarm.NewStateValue;
 */
export function parseNotificationJson(body: string): Parsed<Notification> {
  const json = parseJsonText(body, 'notification body');
  if (!json.ok) return json;
  const value = json.value;
  if (typeof value === 'object' && value !== null && 'AlarmName' in value) {
    const alarm = safeParseWith(AlarmNotificationSchema, value, 'CloudWatch alarm notification');
    return alarm.ok ? { ok: true, value: { kind: 'alarm', alarm: alarm.value } } : alarm;
  }
  const event = parseMessage(value);
  return event.ok ? { ok: true, value: { kind: 'event', event: event.value } } : event;
}
