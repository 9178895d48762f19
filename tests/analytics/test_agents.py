"""Who followed a tracked link: people, the networks' link previews, and other robots."""

# ruff: noqa: E501  (real User-Agent strings, kept verbatim so they can be searched for)

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from advocacy.analytics.agents import MAX_AGENT, Visitor, VisitorKind, classify

PREVIEWS = [
    ("LinkedIn", "LinkedInBot/1.0 (compatible; Mozilla/5.0; Apache-HttpClient +http://www.linkedin.com)"),
    ("X", "Twitterbot/1.0"),
    ("Facebook", "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)"),
    ("Facebook", "Mozilla/5.0 (compatible; Facebot/1.0; +https://developers.facebook.com/docs/sharing/webmasters/crawler)"),
    ("Facebook", "meta-externalagent/1.1 (+https://developers.facebook.com/docs/sharing/webmasters/crawler)"),
    ("Slack", "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)"),
    ("Slack", "Slackbot 1.0 (+https://api.slack.com/robots)"),
    ("Slack", "Slack-ImgProxy (+https://api.slack.com/robots)"),
    ("Mastodon", "http.rb/5.1.1 (Mastodon/4.2.0; +https://mastodon.social/)"),
    ("Mastodon", "Mastodon/4.3.2 (http.rb/5.2.0; +https://fosstodon.org/) Bot"),
    ("Bluesky", "Mozilla/5.0 (compatible; Bluesky Cardyb/1.1; +mailto:support@bsky.app)"),
    ("WhatsApp", "WhatsApp/2.23.20.0 A"),
    ("WhatsApp", "WhatsApp/2.2407.3 i"),
    ("Telegram", "TelegramBot (like TwitterBot)"),
    ("Discord", "Mozilla/5.0 (compatible; Discordbot/2.0; +https://discordapp.com)"),
    ("Teams", "Mozilla/5.0 (Windows NT 6.1; WOW64) SkypeUriPreview Preview/0.5 skype-url-preview@microsoft.com"),
    ("Teams", "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/114.0.0.0 Safari/537.36 Edg/114.0.1823.43 MicrosoftPreview/2.0 +https://aka.ms/MicrosoftPreview"),
    ("iMessage", "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_11_1) AppleWebKit/601.2.4 (KHTML, like Gecko) Version/9.0.1 Safari/601.2.4 facebookexternalhit/1.1 Facebot Twitterbot/1.0"),
    ("Apple", "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/13.1.1 Safari/605.1.15 (Applebot/0.1; +http://www.apple.com/go/applebot)"),
    ("Iframely", "Iframely/1.3.1 (+https://iframely.com/docs/about) Atlassian"),
    ("Embedly", "Mozilla/5.0 (compatible; Embedly/0.2; +http://support.embed.ly/)"),
    ("Reddit", "Mozilla/5.0 (compatible; redditbot/1.0; +http://www.reddit.com/feedback)"),
    ("Pinterest", "Pinterest/0.2 (+https://www.pinterest.com/bot.html)"),
    ("Pinterest", "Mozilla/5.0 (compatible; Pinterestbot/1.0; +https://www.pinterest.com/bot.html)"),
]

PEOPLE = {
    "Chrome on Windows": "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36",
    "Edge on Windows": "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36 Edg/124.0.2478.80",
    "Firefox on Linux": "Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0",
    "Safari on a Mac": "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4.1 Safari/605.1.15",
    "Safari on an iPhone": "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4.1 Mobile/15E148 Safari/604.1",
    "Safari on an iPad": "Mozilla/5.0 (iPad; CPU OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1",
    "Chrome on an iPhone": "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/124.0.6367.88 Mobile/15E148 Safari/604.1",
    "Chrome on Android": "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Mobile Safari/537.36",
    "Firefox on Android": "Mozilla/5.0 (Android 14; Mobile; rv:125.0) Gecko/125.0 Firefox/125.0",
    "Samsung Internet": "Mozilla/5.0 (Linux; Android 14; SAMSUNG SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/24.0 Chrome/117.0.0.0 Mobile Safari/537.36",
    "LinkedIn app on iOS": "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 [LinkedInApp]/9.29.8466",
    "LinkedIn app on Android": "Mozilla/5.0 (Linux; Android 13; SM-S911B Build/TP1A.220624.014; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/121.0.6167.178 Mobile Safari/537.36 LinkedInApp/4.1.923",
    "Facebook app on iOS": "Mozilla/5.0 (iPhone; CPU iPhone OS 17_3_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 [FBAN/FBIOS;FBAV/451.0.0.44.111;FBBV/563018786;FBDV/iPhone14,5;FBMD/iPhone;FBSN/iOS;FBSV/17.3.1;FBSS/3;FBID/phone;FBLC/nl_NL;FBOP/5;FBRV/565134413]",
    "Facebook app on Android": "Mozilla/5.0 (Linux; Android 14; Pixel 8 Build/UQ1A.240205.004; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/122.0.6261.119 Mobile Safari/537.36 [FB_IAB/FB4A;FBAV/454.0.0.44.108;]",
    "Instagram app on iOS": "Mozilla/5.0 (iPhone; CPU iPhone OS 17_2_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 Instagram 316.0.4.20.112 (iPhone14,2; iOS 17_2_1; nl_NL; nl; scale=3.00; 1170x2532; 558600287)",
    "Instagram app on Android": "Mozilla/5.0 (Linux; Android 13; SM-A536B Build/TP1A.220624.014; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/120.0.6099.230 Mobile Safari/537.36 Instagram 314.0.0.36.115 Android (33/13; 450dpi; 1080x2186; samsung; SM-A536B; a53x; s5e8825; nl_NL; 554218508)",
    "X app on iOS": "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 Twitter for iPhone/10.34",
    "Teams desktop": "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/114.0.5735.289 Electron/25.9.4 Safari/537.36 Teams/1.6.00.4472",
    # The crawler list has a pattern "Sonic", which Slack's desktop app also says.
    "Slack desktop": "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Slack/4.37.94 Chrome/122.0.6261.156 Electron/29.3.0 Safari/537.36 Sonic Slack_SSB/4.37.94",
    "Discord desktop": "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) discord/1.0.9042 Chrome/120.0.6099.291 Electron/28.2.10 Safari/537.36",
    "Telegram on Android": "Mozilla/5.0 (Linux; Android 14; Pixel 7 Build/AP1A.240405.002; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/124.0.6367.82 Mobile Safari/537.36 Telegram-Android/10.11.2 (Google Pixel 7; Android 14; SDK 34; HIGH)",
    "Pinterest app on iOS": "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 [Pinterest/iOS]",
    "Google app on iOS": "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) GSA/311.0.621847700 Mobile/15E148 Safari/604.1",
}

BOTS = [
    ("Google", "Mozilla/5.0 (Linux; Android 6.0.1; Nexus 5X Build/MMB29P) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.6367.118 Mobile Safari/537.36 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"),
    ("Google", "Mozilla/5.0 (compatible; Google-InspectionTool/1.0;)"),
    ("Bing", "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm) Chrome/116.0.1938.76 Safari/537.36"),
    ("other", "Mozilla/5.0 (compatible; AhrefsBot/7.0; +http://ahrefs.com/robot/)"),
    ("other", "Mozilla/5.0 (compatible; SemrushBot/7~bl; +http://www.semrush.com/bot.html)"),
    ("other", "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; GPTBot/1.2; +https://openai.com/gptbot)"),
    ("other", "curl/8.5.0"),
    ("other", "Wget/1.21.4"),
    ("other", "python-requests/2.31.0"),
    ("other", "Python/3.11 aiohttp/3.9.1"),
    ("other", "Go-http-client/2.0"),
    ("other", "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/124.0.0.0 Safari/537.36"),
]


@pytest.mark.parametrize(("name", "agent"), PREVIEWS)
def test_link_preview_fetchers_are_previews_with_their_network(name: str, agent: str) -> None:
    assert classify(agent) == Visitor(VisitorKind.PREVIEW, name)


@pytest.mark.parametrize("agent", PEOPLE.values(), ids=PEOPLE.keys())
def test_browsers_and_in_app_browsers_are_people(agent: str) -> None:
    assert classify(agent) == Visitor(VisitorKind.HUMAN, None)


@pytest.mark.parametrize(("name", "agent"), BOTS)
def test_crawlers_and_tools_are_robots(name: str, agent: str) -> None:
    assert classify(agent) == Visitor(VisitorKind.BOT, name)


@pytest.mark.parametrize("agent", [None, "", "   ", "Mozilla", "-", "\x00"])
def test_a_missing_or_very_short_agent_is_a_robot(agent: str | None) -> None:
    assert classify(agent) == Visitor(VisitorKind.BOT, "other")


def test_only_the_start_of_a_long_agent_is_read() -> None:
    padded = PEOPLE["Chrome on Windows"] + " " * MAX_AGENT + "Googlebot/2.1"
    assert classify(padded) == Visitor(VisitorKind.HUMAN, None)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=1000))
def test_any_agent_is_classified(agent: str) -> None:
    visitor = classify(agent)
    assert (visitor.agent is None) == (visitor.kind == VisitorKind.HUMAN)


def test_a_lone_surrogate_does_not_stop_classification() -> None:
    assert classify("Mozilla/5.0 \ud800 AhrefsBot/7.0").kind == VisitorKind.BOT
