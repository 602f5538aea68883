import { describe, expect, it } from 'vitest';
import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import type { SigningJob } from '@mpop/contracts';
import { SigningJobsPage } from './SigningJobsPage';
import { fakeFetch, renderWithProviders } from '../../test/render';

const job = (over: Partial<SigningJob>): SigningJob => ({
  id: 'j1',
  status: 'done',
  reason: 'release 1234567890123456 1.0.0.1',
  reasonCode: 'release',
  reasonParams: { miniProgramId: '1234567890123456', version: '1.0.0.1' },
  total: 3,
  done: 3,
  startedAt: '2026-11-25T10:00:00.000Z',
  finishedAt: '2026-11-25T10:00:01.000Z',
  error: null,
  errorCode: null,
  errorParams: {},
  ...over,
});

describe('SigningJobsPage', () => {
  it('shows progress, and a failure with its reason', async () => {
    const reason = 'The package file 0a1b2c3d4e5f… is missing from the package store; restore it or upload that version again.';
    fakeFetch([{ status: 200, body: { items: [job({ id: 'f', status: 'failed', done: 1, total: 4, error: reason }), job({})] } }]);
    renderWithProviders(<SigningJobsPage />);
    const failed = (await screen.findByText(reason)).closest('tr') as HTMLElement;
    expect(within(failed).getByText('Failed')).toBeTruthy();
    expect(within(failed).getByText('1/4')).toBeTruthy();
  });

  it('retries for an operator: signs what is missing, then shows the new job', async () => {
    const calls = fakeFetch([
      { status: 200, body: { items: [job({ status: 'failed', done: 0, total: 1, error: 'x' })] } },
      {
        status: 200,
        body: job({ id: 'r', reason: 'retry by olga', reasonCode: 'retry', reasonParams: { username: 'olga' }, total: 1, done: 1 }),
      },
      {
        status: 200,
        body: {
          items: [job({ id: 'r', reason: 'retry by olga', reasonCode: 'retry', reasonParams: { username: 'olga' }, total: 1, done: 1 })],
        },
      },
    ]);
    renderWithProviders(<SigningJobsPage />, { role: 'operator', username: 'olga' });
    await screen.findByText('Failed');
    await userEvent.setup({ delay: null }).click(screen.getByRole('button', { name: /Retry Missing Signatures/ }));
    expect(await screen.findByText('Retry by olga')).toBeTruthy();
    await waitFor(() => expect(calls[1].init?.method).toBe('POST'));
    expect(calls[1].url).toBe('/api/v1/signing-jobs/retry');
  });

  it('lets a viewer follow the jobs but not retry', async () => {
    fakeFetch([{ status: 200, body: { items: [] } }]);
    renderWithProviders(<SigningJobsPage />, { role: 'viewer' });
    expect(await screen.findByText(/No signing jobs since this server started/)).toBeTruthy();
    expect(screen.queryByRole('button', { name: /Retry Missing Signatures/ })).toBeNull();
  });

  it('says why each job ran in Chinese, with its specifics', async () => {
    fakeFetch([{ status: 200, body: { items: [job({})] } }]);
    renderWithProviders(<SigningJobsPage />, { lang: 'zh' });
    expect(await screen.findByText('发布小程序 1234567890123456 的版本 1.0.0.1')).toBeTruthy();
    expect(screen.queryByText(/release 1234567890123456/)).toBeNull();
  });

  it('says why a job failed in Chinese from its code and specifics, never in the English sentence', async () => {
    const english = 'The package file of version 1.0.0.7 is missing from the package store; upload the version again.';
    fakeFetch([
      {
        status: 200,
        body: {
          items: [
            job({ status: 'failed', done: 0, total: 1, error: english, errorCode: 'package-missing', errorParams: { version: '1.0.0.7' } }),
          ],
        },
      },
    ]);
    renderWithProviders(<SigningJobsPage />, { lang: 'zh' });
    expect(await screen.findByText(/小程序包存储中缺少版本 1\.0\.0\.7 的文件/)).toBeTruthy();
    expect(screen.queryByText(english)).toBeNull();
  });

  it("names a failure code it does not know (a newer server) in Chinese, with the server's English below it", async () => {
    const english = 'The signing service of a newer server refused.';
    const failed = job({ status: 'failed', done: 0, total: 1, error: english, errorCode: 'something-newer' as SigningJob['errorCode'] });
    fakeFetch([{ status: 200, body: { items: [failed] } }]);
    renderWithProviders(<SigningJobsPage />, { lang: 'zh' });
    const said = await screen.findByText(/签名未完成（错误代码 something-newer）。/);
    expect(said.textContent).toBe(`签名未完成（错误代码 something-newer）。${english}`);
    expect(screen.getByText(english).getAttribute('lang')).toBe('en');
    expect(screen.queryByText(/signingFailure\./)).toBeNull();
  });
});
