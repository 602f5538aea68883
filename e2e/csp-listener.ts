import type { BrowserContext, Page } from 'playwright-core';

/**
 * Collects every Content-Security-Policy violation on the platform's pages: the browser's console messages
 * ("Refused to … because it violates the following Content Security Policy directive") and the
 * `securitypolicyviolation` events the document fires. Pages of other origins (an identity provider) are ignored.
 */
export async function listenForCspViolations(context: BrowserContext, page: Page, origin: string): Promise<string[]> {
  const violations: string[] = [];
  await context.exposeBinding('mpopReportCsp', ({ frame }, text: string) => {
    if (frame.url().startsWith(origin)) violations.push(`${frame.url()}: ${text}`);
  });
  await context.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) => {
      (window as unknown as { mpopReportCsp: (t: string) => void }).mpopReportCsp(
        `${e.violatedDirective} blocked ${e.blockedURI || '(inline)'} at ${e.sourceFile}:${e.lineNumber}`,
      );
    });
  });
  page.on('console', (msg) => {
    if (/Content Security Policy/i.test(msg.text()) && page.url().startsWith(origin)) violations.push(`${page.url()}: ${msg.text()}`);
  });
  return violations;
}
