import { Route, Routes } from 'react-router-dom';
import { ApprovalsPage } from './ApprovalsPage';
import { ReleasePage } from './ReleasePage';
import { ReleasesPage } from './ReleasesPage';

/**
 * Everything under /releases: the dashboard, the approvals inbox and one release per id (where
 * the release form's pageUrl lands).
 */
export const ReleasesRouter = () => (
  <Routes>
    <Route path="/" element={<ReleasesPage />} />
    <Route path="/approvals" element={<ApprovalsPage />} />
    <Route path="/:id" element={<ReleasePage />} />
  </Routes>
);
