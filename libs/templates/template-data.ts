import type { TemplateData } from '../../contracts/generated';

/*
 * The render context of every message a person receives is the `data` of callouts.requested, defined
 * once in its contract (contracts/schemas/callout-requested.schema.json, `$defs/templateData`; the
 * TypeScript type is generated from it) and supplied by the call-out engine
 * (libs/callout/template-data.ts builds it). The consumer validates it against the contract at the
 * edge, before anything is rendered or sent: a request whose data does not fit goes to the DLQ with
 * the reason, never sent half-filled.
 */
export type { TemplateData };

/** What the renderer adds to the engine's data before rendering. */
export interface RenderContext extends TemplateData {
  drill: boolean;
  purpose: string;
  attempt: number;
  /** Signed confirmation link (SMS and web); absent when no public URL is configured. */
  ackUrl: string;
  /** How the person is asked to confirm ("回复1或收到确认"; "接听来电按1键确认" where replies cannot come back). */
  confirmHint: string;
  /** A reply comes back through the carrying provider (the English partial asks for "reply 1" only then). */
  replyConfirms: boolean;
}

/** A realistic context used to compile-check every template at start and for golden files. */
export const SAMPLE_DATA: TemplateData = {
  warning: {
    id: '140200000000000_20240712153000_1',
    seq: 37,
    hazard: 'meteorological',
    hazardName: '气象',
    subtype: 'rainstorm',
    subtypeName: '暴雨',
    level: 'red',
    levelName: '红色',
    levelColour: '#d9001b',
    headline: '大同市气象台发布暴雨红色预警信号',
    instruction: '停止集会、停课、停业，做好山洪、滑坡防御和人员转移。',
    areaNames: ['浑源县', '广灵县'],
    expires: '2024-07-13T10:00:00.000Z',
    sender: '大同市气象台',
    drill: false,
    verification: false,
  },
  person: { name: '张伟', roleName: '防汛责任人', areaName: '浑源县永安镇' },
  subject: { name: '李强', roleName: '山洪预警员', areaName: '东坊城村' },
  note: '王芳已确认',
};
