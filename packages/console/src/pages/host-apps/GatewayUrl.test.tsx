import { describe, expect, it } from 'vitest';
import { screen } from '@testing-library/react';
import { fakeFetch, renderWithProviders } from '../../test/render';
import { SHOP_APP } from '../../test/host-app-fixture';
import { BasicInfoModal } from './BasicInfoModal';
import { isLoopback } from './GatewayUrl';

const app = SHOP_APP;
const options = (publicUrl: string) => ({ status: 200, body: { localSignIn: true, sso: false, publicUrl } });

describe('beside Download Config File: the gateway URL the file carries', () => {
  it('names it, with no warning for an address phones can reach', async () => {
    const calls = fakeFetch([options('https://mpop.example.com')]);
    renderWithProviders(<BasicInfoModal app={app} onClose={() => {}} />);
    const note = await screen.findByTestId('gateway-url');
    expect(note.textContent).toContain('https://mpop.example.com/client/v1');
    expect(note.querySelector('.ant-alert')).toBeNull();
    expect(calls[0].url).toBe('/api/v1/session/options');
  });

  it('warns in Chinese when it is http://localhost', async () => {
    fakeFetch([options('http://localhost:8080')]);
    renderWithProviders(<BasicInfoModal app={app} onClose={() => {}} />, { lang: 'zh' });
    const note = await screen.findByTestId('gateway-url');
    expect(note.textContent).toContain('http://localhost:8080/client/v1');
    expect(note.querySelector('.ant-alert')?.textContent).toBe(
      '这是本机回环地址（http://localhost:8080）：手机无法访问。请将 MPOP_PUBLIC_URL 设为宿主应用使用的地址，重启后重新下载配置文件。',
    );
  });

  it('tells loopback addresses from others', () => {
    for (const u of ['http://localhost:8080', 'http://127.0.0.1', 'http://[::1]:8080', 'http://app.localhost'])
      expect(isLoopback(u), u).toBe(true);
    for (const u of ['https://mpop.example.com', 'http://10.0.0.5:8080', 'http://localhost.example.com'])
      expect(isLoopback(u), u).toBe(false);
  });
});
