import { Route, Routes } from 'react-router-dom';
import { ApprovalsPage } from '../ApprovalsPage';
import { ReleasePage } from '../ReleasePage';
import { SetupPage } from '../SetupPage';
import { ReleasesDashboard } from './ReleasesDashboard';

/**
 * Everything under /releases: the dashboard, the setup check, the approvals inbox and one release
 * per id (sub-routes of `rootRouteRef`, see ../../routes), so the legacy and the new frontend
 * system mount one page.
 */
export const ReleasesPage = () => (
  <Routes>
    <Route path="/" element={<ReleasesDashboard />} />
    <Route path="/setup" element={<SetupPage />} />
    <Route path="/approvals" element={<ApprovalsPage />} />
    <Route path="/:id" element={<ReleasePage />} />
  </Routes>
);
