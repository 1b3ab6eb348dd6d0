import { onceKnown, UNKNOWN } from './overtaking-callbacks';
import { Db } from '../db/db';
import { langOf, MessageTemplates } from './message-templates';
import { NotifyEvents } from './notify-events';
import { NotifyRepository } from './notify.repository';
import { KeyPress, SpokenReply } from './provider';

/** Said when a call's script cannot be found (the provider fetched it for an unknown attempt). */
const NO_SCRIPT: SpokenReply = { lang: 'zh-CN', text: '系统错误，请联系值班室。' };

/** A call's two moments: its script when it is answered, and the key press that confirms it. */
export class VoiceCalls {
  constructor(
    private readonly db: Db,
    private readonly repo: NotifyRepository,
    private readonly templates: MessageTemplates,
    private readonly events: NotifyEvents,
  ) {}

  /** The script stored with the attempt (for a provider that fetches it when the call is answered). */
  async callContent(requestId: string | undefined): Promise<{ content: string } | { say: SpokenReply }> {
    const attempt = requestId ? await this.repo.byRequestId(this.db, requestId) : undefined;
    return attempt?.twiml ? { content: attempt.twiml } : { say: NO_SCRIPT };
  }

  /** A key press: 1 confirms (once per call); anything else gets the no-input phrase. */
  async keyPress(press: KeyPress): Promise<SpokenReply> {
    const find = async () =>
      (press.requestId
        ? await this.repo.byRequestId(this.db, press.requestId)
        : press.callId
          ? await this.repo.bySid(this.db, press.callId)
          : undefined) ?? UNKNOWN;
    // A key press for a call id not stored yet (the press overtook the API answer) is looked up again.
    const found = press.callId && press.digits === '1' ? await onceKnown(find) : await find();
    const attempt = found === UNKNOWN ? undefined : found;
    const lang = langOf(attempt?.language);
    const phrase = (name: string): SpokenReply => ({
      lang,
      text: this.templates.render('voice', `phrases/${name}`, lang, {}),
    });
    if (!attempt || !press.callId || press.digits !== '1') return phrase('no-input');
    await this.events.respondOnce(
      this.db,
      attempt,
      { kind: 'voice-gather', payload: press.providerFields },
      { responseId: `${press.callId}:1`, via: 'voice', kind: 'confirm', text: press.digits },
    );
    return phrase('confirmed');
  }
}
