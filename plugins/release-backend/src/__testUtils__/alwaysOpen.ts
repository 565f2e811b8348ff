/** Windows open all week, so tests and benches do not depend on the hour they run at. */
export const alwaysOpen = {
  release: {
    windows: [
      {
        days: ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'],
        from: '00:00',
        to: '24:00',
        tz: 'UTC',
      },
    ],
  },
  app: { baseUrl: 'http://localhost:3000' },
};
