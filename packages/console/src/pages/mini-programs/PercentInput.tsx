import { Col, InputNumber, Row, Slider } from 'antd';

/** A share of devices: a slider with the usual marks and an exact number beside it. */
export function PercentInput({ value, onChange, label }: { value?: number; onChange?: (v: number) => void; label: string }) {
  return (
    <Row gutter={16} align="middle">
      <Col flex="auto">
        <Slider
          min={0}
          max={100}
          value={value}
          onChange={(v) => onChange?.(v)}
          marks={{ 0: '0', 10: '10', 25: '25', 50: '50', 100: '100' }}
          aria-label={label}
        />
      </Col>
      <Col>
        <InputNumber
          min={0}
          max={100}
          precision={2}
          value={value}
          onChange={(v) => v !== null && onChange?.(Number(v))}
          addonAfter="%"
          aria-label={`${label} (number)`}
        />
      </Col>
    </Row>
  );
}
