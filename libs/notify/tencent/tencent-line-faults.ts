import { LineFault } from '../provider';

/**
 * What Tencent Cloud's callbacks say about the number itself, in the project's terms (the roster's
 * number health reads `lineFault`, never a Tencent code), as twilio-line-faults.ts does for Twilio.
 * A code not listed says nothing about the number (busy, network, our own limits) and maps to nothing.
 */

/**
 * VMS `voice_failure_callback.failure_code` (Tencent's 推送回执相关错误码, document 1128/37531).
 * 2 / 10 (busy) and 5 / 20 (no answer) are call outcomes, not faults of the number.
 */
export const TENCENT_VOICE_LINE_FAULTS: Record<number, LineFault> = {
  1: 'powered-off', // 关机
  3: 'powered-off', // 不在服务区
  16: 'powered-off', // 来电提醒: the carrier's missed-call service took it (phone off or out of coverage)
  4: 'suspended', // 您拨打的号码已欠费
  7: 'suspended', // 停机
  13: 'suspended', // 您拨打的号码已暂停服务
  17: 'suspended', // 您拨打的号码已过期
  8: 'unallocated', // 空号
  15: 'unallocated', // 号码不存在
  19: 'invalid', // 未开通语音通话功能 (a data-only or IoT card)
  6: 'unreachable', // 暂时无法接通
};

/**
 * SMS status reports (`errmsg`, the carrier gateway's status code passed through by Tencent): the
 * China Mobile CMPP codes that name the number. Other carriers' and gateways' codes say nothing here.
 */
export const TENCENT_SMS_LINE_FAULTS: Record<string, LineFault> = {
  'DB:0101': 'unallocated', // 手机号码错误: invalid number or 空号
  'CB:0001': 'unallocated', // 号码无效或者空号
  'CB:0053': 'unallocated', // 用户不存在
  'DB:0102': 'suspended', // 用户停机
  EXPIRED: 'powered-off', // not delivered in time: switched off or out of coverage for long
};

export function lineFaultOfTencentVoice(code: number | undefined): LineFault | undefined {
  return code === undefined ? undefined : TENCENT_VOICE_LINE_FAULTS[code];
}

export function lineFaultOfTencentSms(errmsg: string | undefined): LineFault | undefined {
  return errmsg === undefined ? undefined : TENCENT_SMS_LINE_FAULTS[errmsg.trim().toUpperCase()];
}
