import type {
  AlarmNotification,
  AnyEnvelope,
  NodeRefusal,
  Reason,
  RepairCode,
} from '@smartscale/contracts';
import { launchesSummary } from '@smartscale/core';

/** A Slack incoming-webhook body with Block Kit blocks. */
export interface SlackMessage {
  readonly text: string;
  readonly blocks: readonly SlackBlock[];
}

export type SlackBlock =
  | {
      readonly type: 'header';
      readonly text: { readonly type: 'plain_text'; readonly text: string };
    }
  | { readonly type: 'section'; readonly text: { readonly type: 'mrkdwn'; readonly text: string } }
  | {
      readonly type: 'context';
      readonly elements: readonly { readonly type: 'mrkdwn'; readonly text: string }[];
    };

function message(title: string, body: string, event: AnyEnvelope): SlackMessage {
  return slack(
    title,
    body,
    `cluster \`${event.clusterId}\` · action \`${event.actionId}\` · ${event.occurredAt}`,
  );
}

/**
 * Text from messages (pod, node and PDB names, reasons, alarm descriptions)
 * as Slack shows it, never as markup: `<!channel>`, `<@U123>` and
 * `<https://…|…>` would mention people or hide a link. Slack asks for
 * exactly these three characters to be escaped.
 */
export function escapeSlack(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/**
 * At most `max` UTF-16 units, ending in … when cut; never splits a
 * surrogate pair (an emoji) or an entity escapeSlack wrote.
 */
export function cutForSlack(text: string, max: number): string {
  if (text.length <= max) return text;
  let end = max - 1;
  const last = text.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end -= 1;
  return `${text.slice(0, end).replace(/&[a-z]{0,3}$/, '')}…`;
}

/** Slack's limits: header 150, section text 3,000, a message's text 40,000 characters. */
const LIMITS = { header: 150, section: 3000, text: 40_000 } as const;

function slack(title: string, body: string, context: string): SlackMessage {
  const safeBody = escapeSlack(body.trim() === '' ? 'no details given' : body);
  return {
    text: cutForSlack(`${escapeSlack(title)}: ${safeBody}`, LIMITS.text),
    blocks: [
      { type: 'header', text: { type: 'plain_text', text: cutForSlack(title, LIMITS.header) } },
      { type: 'section', text: { type: 'mrkdwn', text: cutForSlack(safeBody, LIMITS.section) } },
      {
        type: 'context',
        elements: [
          {
            type: 'mrkdwn',
            text: cutForSlack(escapeSlack(context), LIMITS.section),
          },
        ],
      },
    ],
  };
}

/** What each reconciler repair did, in words. */
const REPAIR_TITLES: Record<RepairCode, string> = {
  'orphan-instance': 'terminated a worker that never joined',
  'ghost-node': 'deleted the Node of a worker that is gone',
  'stale-cordon': 'uncordoned a node left cordoned',
  'action-done': 'closed an action whose outcome was lost',
  'action-overdue': 'expired an action that never finished',
  'unhealthy-node': 'replaced a worker whose Node stayed NotReady',
};

/** Refused nodes a Slack hold message names; the rest are counted. */
const SLACK_REFUSAL_LINES = 10;

const bullet = (lines: readonly string[]) => lines.map((l) => `• ${l}`).join('\n');

/** One refused node as a line: "`node`: code (pod, PDB, until)". */
function refusalLine(r: NodeRefusal): string {
  const subject = [r.pod && `pod ${r.pod}`, r.pdb && `PDB ${r.pdb}`, r.until && `until ${r.until}`]
    .filter(Boolean)
    .join(', ');
  return `\`${r.nodeName}\`: ${r.code}${subject ? ` (${subject})` : ''}`;
}

/**
 * The news a decision carries beside its kind (reasons the decider marked
 * `announce`): unhostable pending pods by owner, a scale-down hold's
 * refusals per node. Lasting conditions are marked once, so this stays quiet.
 */
function announcements(reasons: readonly Reason[]): { title: string; body: string }[] {
  const out: { title: string; body: string }[] = [];
  for (const r of reasons) {
    if (!r.announce) continue;
    if (r.code === 'pending-unhostable') {
      const byOwner = new Map<string, string>();
      for (const u of r.unhostable ?? [])
        if (!byOwner.has(u.owner)) byOwner.set(u.owner, `${u.code}: ${u.detail}`);
      out.push({
        title: `:warning: ${r.unhostable?.length ?? 0} pending pod(s) no new worker can host`,
        body: `${bullet([...byOwner].map(([owner, why]) => `\`${owner}\` ${why}`))}\nNot counted for scale-up or against scale-down; fix the pod spec or the instance type.`,
      });
    } else if (r.refusals?.length) {
      // A few lines in chat; the decision lists up to 50 and counts the rest.
      const shown = r.refusals.slice(0, SLACK_REFUSAL_LINES);
      const more = Number(r.data?.rejected ?? r.refusals.length) - shown.length;
      const counts = typeof r.data?.byCode === 'string' ? ` (${r.data.byCode})` : '';
      out.push({
        title: ':pause_button: Scale-down held: no node can be removed safely',
        body: `${bullet([...shown.map(refusalLine), ...(more > 0 ? [`and ${more} more node(s)${counts}`] : [])])}\n\`smartscale explain\` on the action shows the table.`,
      });
    }
  }
  return out;
}

/**
 * What people should see of an event, as a Slack message; null for events
 * that are not worth a notification (routine holds, joins that went fine).
 *
 * @example
 * const body = toSlackMessage(event); if (body) await post(url, body);
 */
export function toSlackMessage(event: AnyEnvelope): SlackMessage | null {
  switch (event.type) {
    case 'DecisionMade': {
      const { decision, workers } = event.payload;
      const why = bullet(decision.reasons.map((r) => r.message));
      if (decision.kind === 'scale-up') {
        const types = launchesSummary(decision.launches);
        return message(
          `:arrow_up: Scaling up by ${decision.count}${types ? `: ${types}` : ''} (from ${workers} workers)`,
          why,
          event,
        );
      }
      if (decision.kind === 'scale-down') {
        return message(
          `:arrow_down: Scaling down: draining ${decision.victim.nodeName} (from ${workers} workers)`,
          why,
          event,
        );
      }
      if (decision.reasons.some((r) => r.code === 'at-max')) {
        return message(`:warning: At max workers (${workers}), pods still waiting`, why, event);
      }
      const news = announcements(decision.reasons);
      if (news.length === 0) return null;
      return message(
        news.map((n) => n.title).join(' · '),
        news.map((n) => n.body).join('\n\n'),
        event,
      );
    }
    case 'JoinFailed':
      return message(
        `:x: Worker ${event.payload.instanceId} failed to join`,
        `${event.payload.reason}${event.payload.terminated ? '\nThe instance was terminated.' : ''}`,
        event,
      );
    case 'NodeRemoved':
      return message(
        `:white_check_mark: Removed ${event.payload.nodeName}`,
        `Instance ${event.payload.instanceId} ${event.payload.terminated ? 'terminated' : 'left running'} after a clean drain.`,
        event,
      );
    case 'ActionFailed':
      return message(
        `:x: Action failed at ${event.payload.step}`,
        `${event.payload.reason}${event.payload.detail ? `\n${event.payload.detail}` : ''}`,
        event,
      );
    case 'InterruptionReceived':
      return message(
        `:rotating_light: ${event.payload.kind} for ${event.payload.instanceId}`,
        `${event.payload.nodeName ? `Node ${event.payload.nodeName}` : 'No node registered'}${event.payload.deadline ? `, gone by ${event.payload.deadline}` : ''}. Replacement and drain follow where needed.`,
        event,
      );
    case 'RepairMade':
      return message(
        `:wrench: Repaired: ${REPAIR_TITLES[event.payload.code]}`,
        `${event.payload.reason}\nFound by the reconciler, which compares EC2, Kubernetes and the action ledger.`,
        event,
      );
    default:
      return null;
  }
}

/**
 * A CloudWatch alarm change as a Slack message: firing (with CloudWatch's
 * reason and what to do, from the alarm description) or cleared.
 * INSUFFICIENT_DATA is not worth a message: alarms treat missing data as
 * fine, so it only shows a new or idle stage.
 *
 * @example
 * const body = alarmToSlackMessage(alarm); if (body) await post(url, body);
 */
export function alarmToSlackMessage(alarm: AlarmNotification): SlackMessage | null {
  const context = `alarm \`${alarm.AlarmName}\` · account ${alarm.AWSAccountId} · ${alarm.Region} · ${alarm.StateChangeTime}`;
  if (alarm.NewStateValue === 'ALARM') {
    return slack(
      `:rotating_light: Alarm: ${alarm.AlarmName}`,
      `${alarm.AlarmDescription ?? 'No description.'}\n${alarm.NewStateReason}`,
      context,
    );
  }
  if (alarm.NewStateValue === 'OK' && alarm.OldStateValue === 'ALARM') {
    return slack(`:white_check_mark: Resolved: ${alarm.AlarmName}`, alarm.NewStateReason, context);
  }
  return null;
}
