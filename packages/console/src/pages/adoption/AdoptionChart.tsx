import { Column } from '@ant-design/plots';
import type { Adoption } from '@mpop/contracts';
import { percent } from './adoption-api';

/** Share of devices per version as columns. Loaded lazily: the chart library stays out of the initial bundle. */
export default function AdoptionChart({ versions, devicesLabel }: { versions: Adoption['versions']; devicesLabel: string }) {
  const data = [...versions].reverse().map((v) => ({ version: v.version, share: v.share, devices: v.devices }));
  return (
    <div data-testid="adoption-chart">
      <Column
        data={data}
        xField="version"
        yField="share"
        height={260}
        autoFit
        animate={false}
        label={{ text: (d: { share: number }) => percent(d.share), position: 'inside' }}
        axis={{ y: { labelFormatter: (v: number) => percent(v) } }}
        tooltip={{ items: [{ channel: 'y', name: devicesLabel, valueFormatter: (v: number) => percent(v) }] }}
      />
    </div>
  );
}
