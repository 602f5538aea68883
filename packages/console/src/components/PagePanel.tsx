import type { ReactNode } from 'react';
import { theme } from 'antd';

/**
 * The frame of every console page: a title (the page's heading), actions on the right, the content below. It
 * looks like an antd Card without carrying Card's tabs into the first download of each page.
 */
export function PagePanel({ title, extra, children }: { title: string; extra?: ReactNode; children: ReactNode }) {
  const { token } = theme.useToken();
  return (
    <section
      aria-label={title}
      style={{
        background: token.colorBgContainer,
        borderRadius: token.borderRadiusLG,
        border: `1px solid ${token.colorBorderSecondary}`,
      }}
    >
      <header
        style={{
          display: 'flex',
          flexWrap: 'wrap',
          gap: 12,
          justifyContent: 'space-between',
          alignItems: 'center',
          minHeight: 56,
          padding: `8px ${token.paddingLG}px`,
          borderBottom: `1px solid ${token.colorBorderSecondary}`,
        }}
      >
        <h1 style={{ margin: 0, fontSize: token.fontSizeLG, fontWeight: token.fontWeightStrong, color: token.colorTextHeading }}>
          {title}
        </h1>
        {extra}
      </header>
      <div style={{ padding: token.paddingLG }}>{children}</div>
    </section>
  );
}
