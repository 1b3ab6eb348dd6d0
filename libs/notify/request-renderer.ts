import { CalloutRequested } from '../../contracts/generated/callout-requested';
import { RejectedInput } from '../common/domain-errors';
import { createAckToken } from './ack-token';
import { langOf, MessageTemplates, TemplateError } from './message-templates';
import { VoiceScript } from './provider';
import { confirmationFor } from './providers/confirmation-options';
import { ChannelCapabilities } from './providers/provider-capabilities';
import { checkTemplateData, RenderContext } from './template-data';

/** Links of warnings without an expiry stay valid this long. */
const DEFAULT_LINK_LIFETIME_MS = 48 * 3600_000;
/** Purposes a call asks to confirm with a key press. */
const CONFIRMABLE_BY_KEY = ['callout', 'redial', 'escalation', 'update'];

export interface RendererSettings {
  publicBaseUrl: string;
  signingSecret: string;
}

/** A request rendered: the SMS text or the call's script (its `body` is the script's message). */
export interface RenderedRequest {
  body: string;
  voiceScript: VoiceScript | null;
}

/** Renders what a callouts.requested message says to the person, from the templates (strict). */
export class RequestRenderer {
  constructor(
    private readonly templates: MessageTemplates,
    private readonly settings: RendererSettings,
  ) {}

  /** The signed link of a call-out's confirmation page; it expires with the warning. */
  ackUrl(calloutId: string, expires: string): string {
    const exp =
      expires && !Number.isNaN(Date.parse(expires))
        ? new Date(expires)
        : new Date(Date.now() + DEFAULT_LINK_LIFETIME_MS);
    const base = this.settings.publicBaseUrl.replace(/\/+$/, '');
    return `${base}/ack/${createAckToken(this.settings.signingSecret, calloutId, exp)}`;
  }

  /**
   * A request that cannot render is rejected (RejectedInput) with the reason: it never will.
   * `carrier`: what the provider that carries the send can do on its channel (routing); the
   * confirmation options follow it. Without it, replies and links are assumed to work.
   */
  render(
    req: Pick<
      CalloutRequested,
      'to' | 'channel' | 'calloutId' | 'data' | 'language' | 'drill' | 'purpose' | 'attempt'
    >,
    carrier?: ChannelCapabilities,
  ): RenderedRequest {
    const checked = checkTemplateData(req.data);
    if (!checked.ok) throw new RejectedInput('template data invalid', checked.errors);
    const lang = langOf(req.language);
    const confirm = confirmationFor(carrier, lang);
    const ctx: RenderContext = {
      ...checked.data,
      warning: { ...checked.data.warning, instruction: checked.data.warning.instruction ?? '' },
      note: checked.data.note ?? '',
      drill: req.drill,
      purpose: req.purpose,
      attempt: req.attempt,
      ackUrl:
        req.channel === 'sms' && confirm.withLink
          ? this.ackUrl(req.calloutId, checked.data.warning.expires)
          : '',
      confirmHint: confirm.confirmHint,
      replyConfirms: confirm.replyConfirms,
    };
    try {
      const body = this.templates.render(req.channel, req.purpose, lang, ctx);
      if (req.channel === 'sms') return { body, voiceScript: null };
      const phrase = (name: string) => this.templates.render('voice', `phrases/${name}`, lang, ctx);
      const voiceScript: VoiceScript = {
        lang,
        script: body,
        repeatPhrase: phrase('repeat'),
        gatherPhrase: phrase('gather'),
        noInputPhrase: phrase('no-input'),
        confirmable: CONFIRMABLE_BY_KEY.includes(req.purpose),
      };
      return { body, voiceScript };
    } catch (e) {
      if (e instanceof TemplateError) throw new RejectedInput(`cannot render: ${e.message}`);
      throw e;
    }
  }
}
