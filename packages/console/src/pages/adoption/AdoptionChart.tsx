import { Column } from '@ant-design/plots';
import type { Adoption } from '@mpop/contracts';
import { percent } from './adoption-api';

/** Share of devices per version as columns. Loaded lazily: the chart library stays out of the initial bundle. */
export default function AdoptionChart({
  versions,
  devicesLabel,
}: {
  /** Newest first, with the share as the table shows it (rounded to sum to 100 %). */
  versions: (Adoption['versions'][number] & { shareText: string })[];
  devicesLabel: string;
}) {
  const data = versions.map((v) => ({ version: v.version, share: v.share, devices: v.devices, shareText: v.shareText }));
  return (
    <div data-testid="adoption-chart">
      <Column
        data={data}
        xField="version"
        yField="share"
        height={260}
        autoFit
        animate={false}
        label={{ text: (d: { shareText: string }) => d.shareText, position: 'inside' }}
        axis={{ y: { labelFormatter: (v: number) => percent(v) } }}
        tooltip={{ items: [{ channel: 'y', name: devicesLabel, valueFormatter: (v: number) => percent(v) }] }}
      />
    </div>
  );
}
