import { ChannelCapabilities } from './provider-capabilities';

type Lang = 'zh-CN' | 'en';

/** How a person is asked to confirm in a message, given what its carrier can bring back. */
export interface ConfirmationOptions {
  /** The zh-CN partial's words ("回复1或收到确认" or "接听来电按1键确认"). */
  confirmHint: string;
  /** The reply ("reply 1") comes back: the English partial asks for it. */
  replyConfirms: boolean;
  /** The signed confirmation link goes into the text. */
  withLink: boolean;
}

export const CONFIRM_HINT = { 'zh-CN': '回复1或收到确认', en: 'Reply 1 or OK to confirm' } as const;
/** Where no reply comes back, the key press during the call is the confirmation. */
export const KEY_PRESS_HINT = { 'zh-CN': '接听来电按1键确认', en: 'answer our call and press 1' } as const;

/**
 * What an SMS offers to confirm, following the provider that carries it: "reply 1" only where replies
 * come back, the link only where URLs are allowed, otherwise the voice key press. (A call always
 * offers the key press: the voice templates and the adapters ask for it.) Without a known carrier
 * both are offered, as before providers declared anything.
 */
export function confirmationFor(carrier: ChannelCapabilities | undefined, lang: Lang): ConfirmationOptions {
  const replyConfirms = carrier?.twoWaySms ?? true;
  return {
    confirmHint: replyConfirms ? CONFIRM_HINT[lang] : KEY_PRESS_HINT[lang],
    replyConfirms,
    withLink: carrier?.linksAllowed ?? true,
  };
}
