/** CAP timestamps: seconds, explicit offset. */
const iso = (ms: number) => new Date(Date.now() + ms).toISOString().replace(/\.\d{3}Z$/, '+00:00');

/**
 * A CAP 1.2 orange rainstorm warning valid from now for `hours`; `area` is the inner XML of its one
 * <area> (by default 新荣区 by its division code).
 */
export function rainstormCap(
  identifier: string,
  opts: { area?: string; headline?: string; hours?: number } = {},
): Buffer {
  const area =
    opts.area ??
    '<areaDesc>新荣区</areaDesc><geocode><valueName>行政区划代码</valueName><value>140212000000</value></geocode>';
  return Buffer.from(`<?xml version="1.0" encoding="UTF-8"?>
<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2">
  <identifier>${identifier}</identifier>
  <sender>qxt-datong@weather.example.cn</sender>
  <sent>${iso(0)}</sent>
  <status>Actual</status>
  <msgType>Alert</msgType>
  <scope>Public</scope>
  <info>
    <language>zh-CN</language>
    <category>Met</category>
    <event>暴雨</event>
    <urgency>Immediate</urgency>
    <severity>Severe</severity>
    <certainty>Likely</certainty>
    <senderName>大同市气象台</senderName>
    <headline>${opts.headline ?? '大同市气象台发布暴雨橙色预警信号'}</headline>
    <expires>${iso((opts.hours ?? 24) * 3600_000)}</expires>
    <parameter><valueName>预警级别</valueName><value>橙色</value></parameter>
    <area>${area}</area>
  </info>
</alert>`);
}
