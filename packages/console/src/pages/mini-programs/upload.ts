import { ApiError } from '../../api/client';

/** Uploads a package with progress (fetch has no upload progress; XMLHttpRequest does). */
export function uploadPackage(miniProgramId: string, form: FormData, onProgress: (percent: number) => void): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', `/api/v1/mini-programs/${miniProgramId}/packages`);
    xhr.upload.onprogress = (e) => e.lengthComputable && onProgress(Math.round((e.loaded / e.total) * 100));
    xhr.onload = () => {
      const body = xhr.responseText ? JSON.parse(xhr.responseText) : undefined;
      if (xhr.status >= 200 && xhr.status < 300) resolve(body);
      else
        reject(
          new ApiError(
            xhr.status,
            body ?? {
              type: 'about:blank',
              title: 'Error',
              status: xhr.status,
              code: `HTTP_${xhr.status}`,
              detail: `The server answered ${xhr.status}.`,
            },
          ),
        );
    };
    xhr.onerror = () =>
      reject(
        new ApiError(0, {
          type: 'about:blank',
          title: 'Network error',
          status: 0,
          code: 'NETWORK_ERROR',
          detail: 'The upload failed: the server could not be reached.',
        }),
      );
    xhr.send(form);
  });
}
