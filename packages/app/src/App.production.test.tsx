// Its own file: the app reads its config once, when it is first rendered.
import { render, screen } from '@testing-library/react';
import App from './App';

jest.setTimeout(30_000);

describe('App in production', () => {
  it('offers GitLab sign-in and never asks for the demo users', async () => {
    const fetchMock = jest.spyOn(global, 'fetch');
    process.env = {
      NODE_ENV: 'test',
      APP_CONFIG: [
        {
          data: {
            app: { title: 'kop release portal' },
            backend: { baseUrl: 'http://localhost:7007' },
            auth: { environment: 'production' },
          },
          context: 'test',
        },
      ] as any,
    };

    render(App.createRoot());

    // The whole app loads lazily; a shared machine may need more than the default second.
    expect(
      await screen.findByText('Sign in with GitLab', {}, { timeout: 15_000 }),
    ).toBeInTheDocument();
    expect(
      fetchMock.mock.calls.some(([url]) => String(url).includes('demo-users')),
    ).toBe(false);
    fetchMock.mockRestore();
  });
});
