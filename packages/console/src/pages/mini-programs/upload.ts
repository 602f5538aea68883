import { parseAnswer, uploadLost } from '../../api/client';

/**
 * Uploads a package with progress (fetch has no upload progress; XMLHttpRequest does). The answer is read like
 * every other: an answer that is not the API's JSON (a proxy's error page) rejects with a problem.
 */
export function uploadPackage(miniProgramId: string, form: FormData, onProgress: (percent: number) => void): Promise<unknown> {
  const url = `/api/v1/mini-programs/${miniProgramId}/packages`;
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', url);
    xhr.setRequestHeader('accept', 'application/json');
    xhr.upload.onprogress = (e) => e.lengthComputable && onProgress(Math.round((e.loaded / e.total) * 100));
    xhr.onload = () => {
      try {
        resolve(parseAnswer(url, xhr.status, xhr.statusText, xhr.getResponseHeader('content-type'), xhr.responseText));
      } catch (err) {
        reject(err);
      }
    };
    // The connection broke mid-way (the server stopped, the network dropped): the server keeps no part of an upload.
    xhr.onerror = () => reject(uploadLost());
    xhr.onabort = () => reject(uploadLost());
    xhr.send(form);
  });
}
