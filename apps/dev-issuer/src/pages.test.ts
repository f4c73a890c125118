import { describe, expect, it } from 'vitest';
import { errorPage, escapeHtml, loginPage } from './pages.js';

describe('pages', () => {
  it('escape what they show', () => {
    expect(escapeHtml(`<a href="x">'&'</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
    const html = loginPage({ uid: 'abc', clientName: '<script>', username: '"><script>' });
    expect(html).not.toContain('<script>');
    expect(errorPage('x', '<img src=x>')).not.toContain('<img');
  });

  it('post the login form to the interaction it belongs to', () => {
    expect(loginPage({ uid: 'u-1_A', clientName: 'c' })).toContain('action="/interaction/u-1_A/login"');
  });
});
