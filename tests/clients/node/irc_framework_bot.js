// A bot on irc-framework (npm, 4.x; the library Kiwi IRC is built on), driven
// by tests/clients/irc_framework.py.
//
// It connects over TLS with the options Kiwi IRC uses (echo-message, chghost,
// setname on top of the library's own capability list), asks the Guide to
// take it into a topic room, answers "!hello" there, and reports every event
// it sees as one JSON object per line on standard output. The driver sends
// commands as JSON lines on standard input: {"say": [target, text]},
// {"quit": message}.
'use strict';

const readline = require('readline');
const IRC = require('irc-framework');

const env = process.env;
const out = (obj) => process.stdout.write(JSON.stringify(obj) + '\n');

const bot = new IRC.Client();
bot.connect({
    host: '127.0.0.1',
    port: Number(env.IRC_PORT),
    tls: env.IRC_TLS === '1',
    rejectUnauthorized: false,      // the test server's certificate is self-signed
    nick: env.IRC_NICK || 'kiwiuser',
    username: 'kiwi',
    gecos: 'Kiwi user',
    auto_reconnect: false,
    enable_echomessage: true,
    enable_chghost: true,
    enable_setname: true,
});

const version = require('irc-framework/package.json').version;

// What the library asked for (it clears network.cap.requested once done).
const requested = [];
bot.on('raw', (e) => {
    const m = !e.from_server && /^CAP REQ :?(.*)$/.exec(e.line);
    if (m) {
        requested.push(...m[1].trim().split(/\s+/));
    }
});

bot.on('registered', (e) => {
    out({
        ev: 'registered', nick: e.nick, version,
        requested, enabled: bot.network.cap.enabled,
        available: Array.from(bot.network.cap.available.keys()),
    });
    bot.say(env.IRC_GUIDE || 'Guide', 'JOIN ' + env.IRC_TOPIC);
});

bot.on('notice', (e) => out({ ev: 'notice', from: e.nick, target: e.target, text: e.message, tags: e.tags }));

bot.on('join', (e) => out({ ev: 'join', nick: e.nick, channel: e.channel, me: e.nick === bot.user.nick }));

bot.on('topic', (e) => out({ ev: 'topic', channel: e.channel, topic: e.topic }));

bot.on('privmsg', (e) => {
    out({ ev: 'privmsg', from: e.nick, target: e.target, text: e.message, tags: e.tags, time: e.time,
          echo: e.nick === bot.user.nick });
    if (e.nick !== bot.user.nick && e.target.startsWith('#') && e.message.trim() === '!hello') {
        bot.say(e.target, 'hello ' + e.nick + ', I am a bot on irc-framework ' + version);
    }
});

bot.on('irc error', (e) => out({ ev: 'irc error', error: e.error, reason: e.reason }));
bot.on('socket close', () => { out({ ev: 'closed' }); process.exit(0); });

readline.createInterface({ input: process.stdin }).on('line', (line) => {
    let cmd;
    try {
        cmd = JSON.parse(line);
    } catch (err) {
        out({ ev: 'bad command', line });
        return;
    }
    if (cmd.say) {
        bot.say(cmd.say[0], cmd.say[1]);
    } else if (cmd.quit !== undefined) {
        bot.quit(cmd.quit);
    }
});

// Never outlive the driver.
setTimeout(() => { out({ ev: 'timeout' }); process.exit(1); }, 60000).unref();
