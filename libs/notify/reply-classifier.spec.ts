import { classifyReply } from './reply-classifier';

describe('classifyReply', () => {
  it.each(['1', '收到', '确认', '好', 'ok', 'YES', '是', ' 收到。', '１', '收到，马上去', '已收到'])(
    '"%s" confirms',
    (t) => {
      expect(classifyReply(t).kind).toBe('confirm');
    },
  );

  it.each(['不收到', '未收到', '不确认', '没收到', '没有收到', '不是'])(
    'negated "%s" does not confirm',
    (t) => {
      expect(classifyReply(t).kind).not.toBe('confirm');
    },
  );

  it('reads a short code after the keyword', () => {
    expect(classifyReply('1 37')).toEqual({ kind: 'confirm', shortCode: 37 });
    expect(classifyReply('收到#12')).toEqual({ kind: 'confirm', shortCode: 12 });
  });

  it('reads feedback with counts', () => {
    expect(classifyReply('已转移12人')).toMatchObject({
      kind: 'feedback',
      feedback: { action: 'evacuated', count: 12 },
    });
    expect(classifyReply('转移 5人')).toMatchObject({
      kind: 'feedback',
      feedback: { action: 'evacuated', count: 5 },
    });
    expect(classifyReply('巡查完毕')).toMatchObject({ feedback: { action: 'patrol-done' } });
    expect(classifyReply('2')).toMatchObject({ feedback: { action: 'patrol-done' } });
    expect(classifyReply('2 37')).toMatchObject({ feedback: { action: 'patrol-done' }, shortCode: 37 });
    expect(classifyReply('开放安置点')).toMatchObject({ feedback: { action: 'shelter-opened' } });
    expect(classifyReply('需要支援')).toMatchObject({ feedback: { action: 'need-help' } });
    expect(classifyReply('9')).toMatchObject({ feedback: { action: 'need-help' } });
  });

  it('anything else is unrecognised', () => {
    expect(classifyReply('你好请问这是什么').kind).toBe('unrecognised');
    expect(classifyReply('3').kind).toBe('unrecognised');
  });

  it('uses the configured keywords', () => {
    expect(classifyReply('得令', { confirmKeywords: ['得令'] }).kind).toBe('confirm');
    expect(classifyReply('好', { confirmKeywords: ['1'] }).kind).toBe('unrecognised');
  });
});
