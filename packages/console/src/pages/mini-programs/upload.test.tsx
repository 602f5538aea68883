import { afterEach, describe, expect, it } from 'vitest';
import { screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { MiniProgramsPage } from './MiniProgramsPage';
import { uploadPackage } from './upload';
import { fakeFetch, renderWithProviders } from '../../test/render';

const RealXhr = globalThis.XMLHttpRequest;
/** An XMLHttpRequest that answers every send with one canned response (after reporting upload progress). */
function fakeXhr(status: number, body: string, contentType: string) {
  class FakeXhr {
    status = 0;
    statusText = '';
    responseText = '';
    upload: { onprogress?: (e: { lengthComputable: boolean; loaded: number; total: number }) => void } = {};
    onload?: () => void;
    onerror?: () => void;
    onabort?: () => void;
    private headers: Record<string, string> = {};
    open() {}
    setRequestHeader() {}
    getResponseHeader(name: string) {
      return this.headers[name.toLowerCase()] ?? null;
    }
    send() {
      setTimeout(() => {
        this.upload.onprogress?.({ lengthComputable: true, loaded: 50, total: 100 });
        this.status = status;
        this.statusText = status === 502 ? 'Bad Gateway' : 'OK';
        this.responseText = body;
        this.headers = { 'content-type': contentType };
        this.onload?.();
      }, 10);
    }
  }
  globalThis.XMLHttpRequest = FakeXhr as unknown as typeof XMLHttpRequest;
}
const PROXY_PAGE =
  '<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway</h1></center><hr><center>nginx</center></body></html>';

describe('uploading a package', () => {
  afterEach(() => {
    globalThis.XMLHttpRequest = RealXhr;
  });

  it("rejects with BAD_RESPONSE when the answer is a proxy's HTML page", async () => {
    fakeXhr(502, PROXY_PAGE, 'text/html');
    await expect(uploadPackage('1234567890123456', new FormData(), () => {})).rejects.toMatchObject({ code: 'BAD_RESPONSE', status: 502 });
  });

  it('rejects with UPLOAD_LOST when the connection breaks before the answer (the server stopped mid-upload)', async () => {
    class BrokenXhr {
      upload = {};
      onerror?: () => void;
      open() {}
      setRequestHeader() {}
      send() {
        setTimeout(() => this.onerror?.(), 10);
      }
    }
    globalThis.XMLHttpRequest = BrokenXhr as unknown as typeof XMLHttpRequest;
    await expect(uploadPackage('1234567890123456', new FormData(), () => {})).rejects.toMatchObject({ code: 'UPLOAD_LOST' });
  });

  it('resolves with the JSON answer', async () => {
    fakeXhr(201, JSON.stringify({ version: '1.0.0.1' }), 'application/json');
    await expect(uploadPackage('1234567890123456', new FormData(), () => {})).resolves.toEqual({ version: '1.0.0.1' });
  });

  it('the Upload Package dialog shows the problem and stops spinning when the answer is not JSON', async () => {
    fakeFetch([
      {
        status: 200,
        body: {
          items: [
            {
              miniProgramId: '1234567890123456',
              name: 'Coupons',
              releasedVersion: null,
              createdAt: '2026-11-25T00:00:00.000Z',
              updatedAt: '2026-11-25T00:00:00.000Z',
            },
          ],
        },
      },
    ]);
    fakeXhr(502, PROXY_PAGE, 'text/html');
    const { container } = renderWithProviders(<MiniProgramsPage />, { role: 'operator' });
    const row = (await screen.findByText('Coupons')).closest('tr') as HTMLElement;
    const user = userEvent.setup({ delay: null });
    await user.click(within(row).getByRole('button', { name: 'Upload Package' }));
    const dialog = await screen.findByRole('dialog', { name: /Upload Package/ });
    await user.type(within(dialog).getByLabelText('Version'), '1.0.0.1');
    await user.upload(
      container.ownerDocument.querySelector('.ant-modal input[type=file]') as HTMLInputElement,
      new File(['PK'], 'mini.zip'),
    );
    await user.click(within(dialog).getByRole('button', { name: 'Confirm' }));
    expect(await within(dialog).findByText(/The server answered with something unexpected/)).toBeTruthy();
    const confirm = within(dialog).getByRole('button', { name: 'Confirm' });
    expect(confirm.className).not.toMatch(/ant-btn-loading/);
    expect(within(dialog).queryByLabelText('Upload progress')).toBeNull();
  });
});
