import { describe, expect, it } from 'vitest';
import { act, render, screen, waitFor } from '@testing-library/react';
import { useState } from 'react';
import { ApiError, request } from './client';
import { useRequest } from './use-request';

/** A fetch whose answers the test releases one by one, recording each request's abort signal. */
function controlledFetch() {
  const pending: { url: string; signal?: AbortSignal; answer: (body: unknown, status?: number) => void }[] = [];
  globalThis.fetch = ((url: string, init?: RequestInit) =>
    new Promise<Response>((resolve, reject) => {
      init?.signal?.addEventListener('abort', () => reject(new DOMException('aborted', 'AbortError')));
      pending.push({
        url,
        signal: init?.signal ?? undefined,
        answer: (body, status = 200) =>
          resolve(
            new Response(JSON.stringify(body), {
              status,
              headers: { 'content-type': status >= 400 ? 'application/problem+json' : 'application/json' },
            }),
          ),
      });
    })) as typeof fetch;
  return pending;
}

function Probe({ id }: { id: string }) {
  const { data, error, loading, reload } = useRequest(
    (signal) => request<{ name: string }>('GET', `/api/v1/things/${id}`, undefined, { signal }),
    [id],
  );
  return (
    <div>
      <span data-testid="state">{loading ? 'loading' : error ? `error ${error.code}` : `data ${data?.name}`}</span>
      <button type="button" onClick={reload}>
        reload
      </button>
    </div>
  );
}

/** A page that moves from one thing to another. */
function Switcher() {
  const [id, setId] = useState('a');
  return (
    <>
      <Probe id={id} />
      <button type="button" onClick={() => setId('b')}>
        next
      </button>
    </>
  );
}

describe('useRequest', () => {
  it('reports loading, then the answer; reload asks again', async () => {
    const pending = controlledFetch();
    render(<Probe id="a" />);
    expect(screen.getByTestId('state').textContent).toBe('loading');
    await waitFor(() => expect(pending).toHaveLength(1));
    await act(async () => pending[0].answer({ name: 'first' }));
    expect(screen.getByTestId('state').textContent).toBe('data first');
    act(() => screen.getByText('reload').click());
    await waitFor(() => expect(pending).toHaveLength(2));
    expect(screen.getByTestId('state').textContent).toBe('loading');
    await act(async () => pending[1].answer({ name: 'second' }));
    expect(screen.getByTestId('state').textContent).toBe('data second');
  });

  it('reports a problem as an ApiError with its code', async () => {
    const pending = controlledFetch();
    render(<Probe id="a" />);
    await waitFor(() => expect(pending).toHaveLength(1));
    await act(async () => pending[0].answer({ type: 'x', title: 'Not found', status: 404, code: 'NOT_FOUND', detail: 'Gone.' }, 404));
    expect(screen.getByTestId('state').textContent).toBe('error NOT_FOUND');
  });

  it('aborts the request in flight when the component goes away', async () => {
    const pending = controlledFetch();
    const { unmount } = render(<Probe id="a" />);
    await waitFor(() => expect(pending).toHaveLength(1));
    expect(pending[0].signal?.aborted).toBe(false);
    unmount();
    expect(pending[0].signal?.aborted).toBe(true);
  });

  it('drops the answer of a request the page moved on from (the earlier one is aborted)', async () => {
    const pending = controlledFetch();
    render(<Switcher />);
    await waitFor(() => expect(pending).toHaveLength(1));
    act(() => screen.getByText('next').click());
    await waitFor(() => expect(pending).toHaveLength(2));
    expect(pending[0].signal?.aborted).toBe(true);
    await act(async () => pending[1].answer({ name: 'b' }));
    await act(async () => pending[0].answer({ name: 'a (late)' }));
    expect(screen.getByTestId('state').textContent).toBe('data b');
    expect(pending.map((p) => p.url)).toEqual(['/api/v1/things/a', '/api/v1/things/b']);
  });
});

/** A dialog for one thing at a time (or none), following the thing while it is `moving`. */
function DialogProbe({ id, resetOnChange }: { id?: string; resetOnChange?: boolean }) {
  const { data, loading } = useRequest(
    (signal) => request<{ name: string; moving?: boolean }>('GET', `/api/v1/things/${id}`, undefined, { signal }),
    [id],
    { enabled: Boolean(id), resetOnChange, refreshEvery: (d) => d.moving === true && 10 },
  );
  return <span data-testid="state">{loading ? `loading${data ? ` (${data.name})` : ''}` : data ? `data ${data.name}` : 'idle'}</span>;
}

describe('useRequest options', () => {
  it('asks nothing while not enabled, then loads when it is', async () => {
    const pending = controlledFetch();
    const { rerender } = render(<DialogProbe />);
    expect(screen.getByTestId('state').textContent).toBe('idle');
    expect(pending).toHaveLength(0);
    rerender(<DialogProbe id="a" />);
    await waitFor(() => expect(pending).toHaveLength(1));
    await act(async () => pending[0].answer({ name: 'a' }));
    expect(screen.getByTestId('state').textContent).toBe('data a');
  });

  it("forgets the last thing's answer when another is asked for, with resetOnChange (and keeps it without)", async () => {
    for (const [resetOnChange, shown] of [
      [true, 'loading'],
      [false, 'loading (a)'],
    ] as const) {
      const pending = controlledFetch();
      const { rerender, unmount } = render(<DialogProbe id="a" resetOnChange={resetOnChange} />);
      await waitFor(() => expect(pending).toHaveLength(1));
      await act(async () => pending[0].answer({ name: 'a' }));
      rerender(<DialogProbe id="b" resetOnChange={resetOnChange} />);
      await waitFor(() => expect(pending).toHaveLength(2));
      expect(screen.getByTestId('state').textContent).toBe(shown);
      unmount();
    }
  });

  it('follows a thing while refreshEvery says so, quietly (no loading state), and stops when it settles', async () => {
    const pending = controlledFetch();
    render(<DialogProbe id="a" />);
    await waitFor(() => expect(pending).toHaveLength(1));
    await act(async () => pending[0].answer({ name: 'moving', moving: true }));
    await waitFor(() => expect(pending).toHaveLength(2));
    expect(screen.getByTestId('state').textContent).toBe('data moving');
    await act(async () => pending[1].answer({ name: 'settled' }));
    expect(screen.getByTestId('state').textContent).toBe('data settled');
    await new Promise((r) => setTimeout(r, 50));
    expect(pending).toHaveLength(2);
  });
});

describe('request', () => {
  const answer = (status: number, text: string, contentType: string) => {
    globalThis.fetch = (async () => new Response(text, { status, headers: { 'content-type': contentType } })) as typeof fetch;
  };

  it("turns a proxy's HTML error page into a BAD_RESPONSE problem", async () => {
    answer(502, '<html><body><h1>502 Bad Gateway</h1></body></html>', 'text/html');
    const err = (await request('GET', '/api/v1/host-apps').catch((e: unknown) => e)) as ApiError;
    expect(err).toBeInstanceOf(ApiError);
    expect(err.code).toBe('BAD_RESPONSE');
    expect(err.status).toBe(502);
  });

  it('turns a successful answer that is not JSON into a BAD_RESPONSE problem, not a value', async () => {
    answer(200, '<html>captive portal</html>', 'text/html');
    await expect(request('GET', '/api/v1/host-apps')).rejects.toMatchObject({ code: 'BAD_RESPONSE' });
  });

  it('turns a body cut off mid-way into a BAD_RESPONSE problem', async () => {
    answer(200, '{"items": [', 'application/json');
    await expect(request('GET', '/api/v1/host-apps')).rejects.toMatchObject({ code: 'BAD_RESPONSE' });
  });

  it('turns an unreachable server into NETWORK_ERROR', async () => {
    globalThis.fetch = (async () => {
      throw new TypeError('Failed to fetch');
    }) as typeof fetch;
    await expect(request('GET', '/api/v1/host-apps')).rejects.toMatchObject({ code: 'NETWORK_ERROR', status: 0 });
  });
});
