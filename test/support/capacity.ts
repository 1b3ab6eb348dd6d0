import { CapacityComparison, compareCapacity } from '../../libs/callout/capacity-progress';

/**
 * A warning's first round 200 s after its plan, as the tracker reports it: 600 persons by SMS (10 a
 * second, all accepted after 61 s) and voice (1 call a second, 200 accepted so far, still running),
 * against the practice targets (calls within 180 s: predicted 600, missed already).
 */
export function firstRoundRunning(warningId: string, level = 'red'): CapacityComparison {
  return compareCapacity(
    {
      schemaVersion: 1,
      planId: `${warningId}|p`,
      warningId,
      messageId: warningId,
      level,
      drill: true,
      persons: 600,
      channels: [
        {
          channel: 'sms',
          sends: 600,
          perSecond: 10,
          boundBy: 'configured',
          lastSentSec: 60,
          lastReachedSec: 70,
        },
        {
          channel: 'voice',
          sends: 600,
          perSecond: 1,
          boundBy: 'configured',
          lastSentSec: 600,
          lastReachedSec: 645,
        },
      ],
      voiceAllPlacedSec: 600,
      allWokenSec: 645,
      targets: { voiceWithinSec: 180, allWokenWithinSec: 300 },
      meetsVoiceTarget: false,
      meetsWokenTarget: false,
      suggestions: ['raise NOTIFY_CALLS_PER_SECOND from 1 to 3.4'],
      at: '2026-07-12T08:00:00.000Z',
    },
    [
      {
        channel: 'sms',
        requested: 600,
        accepted: 600,
        lastAcceptedAt: '2026-07-12T08:01:00.200Z',
        refused: 0,
        reached: 590,
        lastReachedAt: null,
        ended: 590,
      },
      {
        channel: 'voice',
        requested: 600,
        accepted: 200,
        lastAcceptedAt: '2026-07-12T08:03:19Z',
        refused: 0,
        reached: 150,
        lastReachedAt: null,
        ended: 180,
      },
    ],
    new Date('2026-07-12T08:03:20Z'),
  );
}
