import { lazy, StrictMode, Suspense } from 'react';
import { createRoot } from 'react-dom/client';
import { App as AntApp, ConfigProvider } from 'antd';
import enUS from 'antd/locale/en_US';
import zhCN from 'antd/locale/zh_CN';
import { BrowserRouter, Navigate, Route, Routes } from 'react-router';
import { I18nProvider, useI18n } from './i18n/i18n';
import { SessionProvider } from './auth/use-session';
import { SignInPage } from './auth/SignInPage';
import { AppLayout } from './layout/AppLayout';
import { HostAppPage } from './pages/host-apps/HostAppPage';
import { MiniProgramsPage } from './pages/mini-programs/MiniProgramsPage';
import { NotFoundPage } from './layout/NotFoundPage';

// Lazy: the chart library it uses stays out of the initial bundle.
const AdoptionPage = lazy(() => import('./pages/adoption/AdoptionPage'));

function Root() {
  const { lang } = useI18n();
  return (
    <ConfigProvider locale={lang === 'zh' ? zhCN : enUS}>
      <AntApp>
        <SessionProvider>
          <BrowserRouter>
            <Routes>
              <Route path="/sign-in" element={<SignInPage />} />
              <Route element={<AppLayout />}>
                <Route index element={<Navigate to="/host-apps" replace />} />
                <Route path="/host-apps" element={<HostAppPage />} />
                <Route path="/mini-programs" element={<MiniProgramsPage />} />
                <Route
                  path="/mini-programs/:id/adoption"
                  element={
                    <Suspense fallback={null}>
                      <AdoptionPage />
                    </Suspense>
                  }
                />
                <Route path="*" element={<NotFoundPage />} />
              </Route>
            </Routes>
          </BrowserRouter>
        </SessionProvider>
      </AntApp>
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
