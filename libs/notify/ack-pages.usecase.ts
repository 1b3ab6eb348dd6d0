import { randomUUID } from 'node:crypto';
import { Db } from '../db/db';
import { parseFeedbackForm } from './ack-feedback-form';
import { verifyAckToken } from './ack-token';
import { MessageTemplates } from '../templates/message-templates';
import { NotifyEvents } from './notify-events';
import { AttemptRow, NotifyRepository } from './notify.repository';

export interface AckPagesSettings {
  signingSecret: string;
  /** The secret SIGNING_SECRET replaced: links it signed stay valid while a rotation is under way. */
  previousSigningSecret?: string;
}

/**
 * How a page came out, in the domain's terms (the controller turns it into an HTTP status):
 * `forged` a link not signed by us, `expired` past its warning's expiry, `not-found` no such
 * call-out, `refused` a feedback form that does not fit (with the reasons on the page).
 */
export type AckPageOutcome = 'shown' | 'forged' | 'expired' | 'not-found' | 'refused';

export interface AckPage {
  outcome: AckPageOutcome;
  html: string;
}

type AckTarget = { page: AckPage } | { attempt: AttemptRow };

/**
 * The signed confirmation link's pages: GET only shows the warning (link scanners fetch links by
 * themselves), POST confirms, and a feedback form reports what was done.
 */
export class AckPages {
  constructor(
    private readonly db: Db,
    private readonly repo: NotifyRepository,
    private readonly templates: MessageTemplates,
    private readonly events: NotifyEvents,
    private readonly settings: AckPagesSettings,
  ) {}

  async show(token: string): Promise<AckPage> {
    const target = await this.target(token);
    if ('page' in target) return target.page;
    return this.page('ack', target.attempt, token);
  }

  async confirm(token: string): Promise<AckPage> {
    const target = await this.target(token);
    if ('page' in target) return target.page;
    const attempt = target.attempt;
    await this.events.respondOnce(
      this.db,
      attempt,
      { kind: 'web-confirm', payload: {} },
      { responseId: `web:${attempt.callout_id}:confirm`, via: 'web', kind: 'confirm' },
    );
    return this.page('confirmed', attempt, token);
  }

  async feedback(token: string, form: unknown): Promise<AckPage> {
    const target = await this.target(token);
    if ('page' in target) return target.page;
    const attempt = target.attempt;
    // Refused here with the reason, never shown "received" and then dropped by the tracker's schema.
    const parsed = parseFeedbackForm(form);
    if (!parsed.ok)
      return this.errorPage('refused', {
        title: '反馈未提交',
        message: `反馈未能提交，请返回修改后重新提交：${parsed.problems.join('；')}`,
        messageEn: `Your report was not recorded; go back, correct it and send it again: ${parsed.problems.join('; ')}`,
      });
    const feedback = parsed.feedback;
    // Every report is its own response: a person may report several times.
    await this.events.respondOnce(
      this.db,
      attempt,
      { kind: 'web-feedback', payload: feedback },
      {
        responseId: `web:${attempt.callout_id}:fb:${randomUUID()}`,
        via: 'web',
        kind: 'feedback',
        feedback,
        text: feedback.note ?? '',
      },
    );
    return this.page('feedback-done', attempt, token);
  }

  private async target(token: string): Promise<AckTarget> {
    const verified = verifyAckToken(
      [
        this.settings.signingSecret,
        ...(this.settings.previousSigningSecret ? [this.settings.previousSigningSecret] : []),
      ],
      token,
    );
    if (!verified.ok) {
      const expired = verified.reason === 'expired';
      return {
        page: this.errorPage(expired ? 'expired' : 'forged', {
          title: expired ? '链接已过期' : '链接无效',
          message: expired ? '该预警的确认链接已过期。' : '该链接无效或已被修改。',
          messageEn: expired ? 'This confirmation link has expired.' : 'This link is not valid.',
        }),
      };
    }
    const attempt = await this.repo.latestForCallout(this.db, verified.calloutId);
    if (!attempt)
      return {
        page: this.errorPage('not-found', {
          title: '未找到',
          message: '未找到该叫应记录。',
          messageEn: 'No such call-out.',
        }),
      };
    return { attempt };
  }

  private page(template: string, attempt: AttemptRow, token: string): AckPage {
    const data = attempt.data;
    const context = { ...data, token, drill: data.warning.drill, expiresLocal: data.warning.expires };
    return { outcome: 'shown', html: this.templates.render('web', template, 'zh-CN', context) };
  }

  private errorPage(
    outcome: Exclude<AckPageOutcome, 'shown'>,
    text: { title: string; message: string; messageEn: string },
  ): AckPage {
    return { outcome, html: this.templates.render('web', 'error', 'zh-CN', text) };
  }
}
