import 'antd/dist/reset.css';
import { lazy, StrictMode, Suspense } from 'react';
import { createRoot } from 'react-dom/client';
import { ConfigProvider, Spin } from 'antd';
import enUS from 'antd/locale/en_US';
import zhCN from 'antd/locale/zh_CN';
import { BrowserRouter, Route, Routes } from 'react-router';
import { I18nProvider, useI18n } from './i18n/i18n';
import { SessionProvider } from './auth/use-session';

// Every screen is its own chunk: the sign-in page loads only what it shows, the Host App page only what it needs.
const named = <K extends string, M extends Record<K, React.ComponentType>>(load: () => Promise<M>, name: K) =>
  lazy(() => load().then((m) => ({ default: m[name] })));
const SignInPage = named(() => import('./auth/SignInPage'), 'SignInPage');
const AppLayout = named(() => import('./layout/AppLayout'), 'AppLayout');
const HostAppPage = named(() => import('./pages/host-apps/HostAppPage'), 'HostAppPage');
const MiniProgramsPage = named(() => import('./pages/mini-programs/MiniProgramsPage'), 'MiniProgramsPage');
const UsersPage = named(() => import('./pages/users/UsersPage'), 'UsersPage');
const TokensPage = named(() => import('./pages/tokens/TokensPage'), 'TokensPage');
const AuditLogPage = named(() => import('./pages/audit/AuditLogPage'), 'AuditLogPage');
const SigningJobsPage = named(() => import('./pages/signing-jobs/SigningJobsPage'), 'SigningJobsPage');
const OrganisationsPage = named(() => import('./pages/organisations/OrganisationsPage'), 'OrganisationsPage');
const AssociationsPage = named(() => import('./pages/associations/AssociationsPage'), 'AssociationsPage');
const ReviewQueuePage = named(() => import('./pages/review-queue/ReviewQueuePage'), 'ReviewQueuePage');
const MyMiniProgramsPage = named(() => import('./pages/my-mini-programs/MyMiniProgramsPage'), 'MyMiniProgramsPage');
const MyAssociationsPage = named(() => import('./pages/my-associations/MyAssociationsPage'), 'MyAssociationsPage');
const WebhooksPage = named(() => import('./pages/webhooks/WebhooksPage'), 'WebhooksPage');
const NotFoundPage = named(() => import('./layout/NotFoundPage'), 'NotFoundPage');
// Lazy: the chart library it uses stays out of the initial bundle.
const AdoptionPage = lazy(() => import('./pages/adoption/AdoptionPage'));

function Root() {
  const { lang } = useI18n();
  return (
    <ConfigProvider locale={lang === 'zh' ? zhCN : enUS}>
      <SessionProvider>
        <BrowserRouter>
          <Suspense fallback={<Spin fullscreen />}>
            <Routes>
              <Route path="/sign-in" element={<SignInPage />} />
              <Route element={<AppLayout />}>
                {/* The frame sends `/` on to where the user starts (Host App, or the Developer Backend). */}
                <Route index element={null} />
                <Route path="/host-apps" element={<HostAppPage />} />
                <Route path="/mini-programs" element={<MiniProgramsPage />} />
                <Route path="/mini-programs/:id/adoption" element={<AdoptionPage />} />
                <Route path="/users" element={<UsersPage />} />
                <Route path="/tokens" element={<TokensPage />} />
                <Route path="/audit-log" element={<AuditLogPage />} />
                <Route path="/signing-jobs" element={<SigningJobsPage />} />
                <Route path="/organisations" element={<OrganisationsPage />} />
                <Route path="/associations" element={<AssociationsPage />} />
                <Route path="/review-queue" element={<ReviewQueuePage />} />
                <Route path="/developer/mini-programs" element={<MyMiniProgramsPage />} />
                <Route path="/developer/associations" element={<MyAssociationsPage />} />
                <Route path="/developer/tokens" element={<TokensPage />} />
                <Route path="/webhooks" element={<WebhooksPage />} />
                <Route path="*" element={<NotFoundPage />} />
              </Route>
            </Routes>
          </Suspense>
        </BrowserRouter>
      </SessionProvider>
    </ConfigProvider>
  );
}

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <I18nProvider>
      <Root />
    </I18nProvider>
  </StrictMode>,
);
