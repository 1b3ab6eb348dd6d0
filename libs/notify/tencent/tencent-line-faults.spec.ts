import { parseSmsStatus, parseVoice } from './tencent-callbacks';
import { lineFaultOfTencentSms, lineFaultOfTencentVoice } from './tencent-line-faults';

const failure = (failure_code: number, failure_reason: string) => ({
  voice_failure_callback: {
    callid: 'c1',
    mobile: '13800000000',
    nationcode: '86',
    failure_code,
    failure_reason,
  },
});
const report = (report_status: 'SUCCESS' | 'FAIL', errmsg: string) => [
  { sid: 's1', report_status, mobile: '13800000000', nationcode: '86', errmsg, description: '' },
];

describe('Tencent outcomes → line fault', () => {
  it.each([
    [8, '空号', 'unallocated', 'failed'],
    [15, '号码不存在', 'unallocated', 'failed'],
    [7, '停机', 'suspended', 'failed'],
    [4, '您拨打的号码已欠费', 'suspended', 'failed'],
    [13, '您拨打的号码已暂停服务', 'suspended', 'failed'],
    [1, '关机', 'powered-off', 'failed'],
    [3, '不在服务区', 'powered-off', 'failed'],
    [19, '未开通语音通话功能', 'invalid', 'failed'],
    [6, '暂时无法接通', 'unreachable', 'failed'],
    [2, '通话中', undefined, 'busy'],
    [5, '无人接听', undefined, 'no-answer'],
    [9, '电路正忙', undefined, 'failed'],
    [11, '其他原因', undefined, 'failed'],
  ] as const)('voice failure %i (%s) is %s, status %s', (code, reason, fault, status) => {
    const r = parseVoice(failure(code, reason), 20);
    if (!r.ok || r.value.kind !== 'status') throw new Error('not a status');
    expect(r.value.status.status).toBe(status);
    expect(r.value.status.lineFault).toBe(fault);
    expect('lineFault' in r.value.status).toBe(fault !== undefined);
  });

  it.each([
    ['DB:0101', 'unallocated'],
    ['CB:0001', 'unallocated'],
    ['DB:0102', 'suspended'],
    ['EXPIRED', 'powered-off'],
    ['MK:0012', undefined],
    ['REJECTD', undefined],
  ] as const)('an undelivered SMS with %s is %s', (errmsg, fault) => {
    const r = parseSmsStatus(report('FAIL', errmsg));
    if (!r.ok) throw new Error(r.reason);
    expect(r.value[0]).toMatchObject({ status: 'failed' });
    expect(r.value[0].lineFault).toBe(fault);
  });

  it('a delivered SMS carries no fault whatever the code, and unknown codes map to nothing', () => {
    const r = parseSmsStatus(report('SUCCESS', 'DELIVRD'));
    expect(r.ok && r.value[0].lineFault).toBeUndefined();
    expect(lineFaultOfTencentVoice(undefined)).toBeUndefined();
    expect(lineFaultOfTencentVoice(99)).toBeUndefined();
    expect(lineFaultOfTencentSms(' db:0102 ')).toBe('suspended');
    expect(lineFaultOfTencentSms(undefined)).toBeUndefined();
  });
});
