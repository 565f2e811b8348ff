import { Route, Routes } from 'react-router-dom';
import { SetupPage } from '../SetupPage';
import { ReleasesDashboard } from './ReleasesDashboard';

/**
 * Everything under /releases: the dashboard and the setup check (sub-routes of `rootRouteRef`,
 * see ../../routes), so the legacy and the new frontend system mount one page.
 */
export const ReleasesPage = () => (
  <Routes>
    <Route path="/" element={<ReleasesDashboard />} />
    <Route path="/setup" element={<SetupPage />} />
  </Routes>
);
