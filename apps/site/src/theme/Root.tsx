import React, { useEffect } from 'react';
import useDocusaurusContext from '@docusaurus/useDocusaurusContext';

/** Wraps every page: hands the base URL to the runtime and marks the page hydrated (for the e2e test). */
export default function Root({ children }: { children: React.ReactNode }): React.JSX.Element {
  const { siteConfig } = useDocusaurusContext();
  useEffect(() => {
    void import('../lib/runtime').then((m) => {
      m.configureRuntime({ baseUrl: siteConfig.baseUrl });
      performance.mark('sdtext-hydrated');
      document.documentElement.dataset.hydrated = 'true';
    });
  }, [siteConfig.baseUrl]);
  return <>{children}</>;
}
