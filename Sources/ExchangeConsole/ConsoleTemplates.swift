/// The console's Mustache templates. Data is only ever written with `{{ }}`, which escapes
/// HTML (`<`, `>`, `&`, `"`, `'`); no template uses `{{{ }}}`. Every page starts with the
/// `header` partial and ends with the `footer` partial.
enum ConsoleTemplates {
    static let all: [String: String] = [
        "header": header, "footer": footer, "signin": signIn, "message": message, "overview": overview,
        "audit": audit, "entry": entry, "tracker": tracker, "departments": departments, "agreements": agreements,
    ]

    static let header = #"""
<!DOCTYPE html>
<html lang="{{lang}}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{title}} · {{t.app_title}}</title>
<link rel="stylesheet" href="/console/assets/console.css">
</head>
<body>
<a class="skip" href="#main">{{t.skip_to_content}}</a>
<header class="top">
<span class="brand">{{t.app_title}}</span>
{{#signedIn}}
<nav aria-label="{{t.nav_label}}"><ul>{{#nav}}<li><a href="{{href}}"{{#current}} aria-current="page"{{/current}}>{{label}}</a></li>{{/nav}}</ul></nav>
<span class="who">{{t.signed_in_as}} <strong id="who">{{actor}}</strong> ({{roleName}})</span>
<form method="post" action="/console/signout"><input type="hidden" name="csrf" value="{{csrf}}"><button type="submit" id="sign-out">{{t.sign_out}}</button></form>
{{/signedIn}}
<a href="{{languageHref}}" lang="{{otherLang}}" hreflang="{{otherLang}}">{{t.switch_language}}</a>
</header>
<main id="main">
<h1>{{title}}</h1>

"""#

    static let footer = #"""
</main>
<footer>{{t.csrf_hint}}</footer>
</body>
</html>

"""#

    static let signIn = #"""
{{>header}}
{{#failed}}<p class="error" role="alert" id="sign-in-failed">{{t.sign_in_failed}}</p>{{/failed}}
{{#signedOut}}<p class="notice" role="status" id="signed-out">{{t.signed_out}}</p>{{/signedOut}}
<form class="stack" method="post" action="/console/signin">
<input type="hidden" name="csrf" value="{{signInToken}}">
<input type="hidden" name="method" value="token">
<label for="token">{{t.token_label}}
<input id="token" name="token" type="password" autocomplete="off" required aria-describedby="token-help"></label>
<small id="token-help">{{t.token_help}}</small>
<button class="primary" type="submit" id="sign-in">{{t.sign_in}}</button>
</form>
{{#certificateDepartment}}
<h2>{{t.certificate_sign_in}}</h2>
<form class="stack" method="post" action="/console/signin">
<p>{{t.certificate_found}} <strong>{{certificateDepartment}}</strong></p>
<input type="hidden" name="csrf" value="{{signInToken}}">
<input type="hidden" name="method" value="certificate">
<button class="secondary" type="submit" id="sign-in-certificate">{{t.certificate_sign_in}}</button>
</form>
{{/certificateDepartment}}
{{>footer}}
"""#

    static let message = #"""
{{>header}}
<p class="{{messageClass}}" role="status" id="message">{{messageText}}</p>
{{>footer}}
"""#

    static let overview = #"""
{{>header}}
<div class="cards">
{{#cards}}<div class="card"><div class="label">{{label}}</div><div class="value" id="{{id}}">{{value}}</div></div>{{/cards}}
</div>
<h2>{{t.trend}}</h2>
<div class="spark"><svg role="img" aria-label="{{t.trend}}" viewBox="0 0 300 60" preserveAspectRatio="none">
<polyline fill="none" stroke="#0b57a4" stroke-width="2" points="{{sparkPoints}}"/></svg></div>
<h2>{{t.lapsing}}</h2>
<ul id="lapsing">{{#lapsing}}<li><code>{{id}}</code> {{title}} — {{until}}</li>{{/lapsing}}{{^lapsing}}<li>{{t.none}}</li>{{/lapsing}}</ul>
<h2>{{t.certificates_lapsing}}</h2>
<ul id="certificates-lapsing">{{#certificatesLapsing}}<li><code>{{certificate}}</code> {{subject}} — {{until}}</li>{{/certificatesLapsing}}{{^certificatesLapsing}}<li>{{t.none}}</li>{{/certificatesLapsing}}</ul>
{{>footer}}
"""#

    static let audit = #"""
{{>header}}
<form class="filters" method="get" action="/console/audit">
<label for="f-kind">{{t.kind}}<select id="f-kind" name="kind">{{#kinds}}<option value="{{value}}"{{#selected}} selected{{/selected}}>{{label}}</option>{{/kinds}}</select></label>
<label for="f-department">{{t.department}}<input id="f-department" name="department" value="{{filter.department}}"></label>
<label for="f-agreement">{{t.agreement}}<input id="f-agreement" name="agreement" value="{{filter.agreement}}"></label>
<label for="f-subject">{{t.subject}}<input id="f-subject" name="subject" value="{{filter.subject}}"></label>
<label for="f-from">{{t.time}} ≥<input id="f-from" name="from" placeholder="2026-01-01T00:00:00Z" value="{{filter.from}}"></label>
<label for="f-until">{{t.time}} ≤<input id="f-until" name="until" placeholder="2026-12-31T23:59:59Z" value="{{filter.until}}"></label>
<button class="primary" type="submit">{{t.apply_filter}}</button>
</form>
{{#scanLimited}}<p class="notice">{{t.scan_limited}} {{scanned}}</p>{{/scanLimited}}
<div class="table-wrap"><table id="audit-entries">
<caption class="skip">{{title}}</caption>
<thead><tr><th class="num" scope="col">{{t.index}}</th><th scope="col">{{t.time}}</th><th scope="col">{{t.kind}}</th><th scope="col">{{t.actor}}</th><th scope="col">{{t.subject}}</th><th scope="col">{{t.topic}}</th></tr></thead>
<tbody>
{{#rows}}<tr><td class="num"><a href="/console/audit/{{index}}">{{index}}</a></td><td>{{time}}</td><td>{{kind}}</td><td>{{actor}}</td><td class="subject">{{subject}}</td><td>{{topic}}</td></tr>{{/rows}}
{{^rows}}<tr><td colspan="6">{{t.no_entries}}</td></tr>{{/rows}}
</tbody></table></div>
<div class="pager">{{#newerHref}}<a href="{{newerHref}}" rel="prev">{{t.previous_page}}</a>{{/newerHref}}{{#olderHref}}<a href="{{olderHref}}" rel="next">{{t.next_page}}</a>{{/olderHref}}</div>
{{>footer}}
"""#

    static let entry = #"""
{{>header}}
<dl class="facts">
<dt>{{t.index}}</dt><dd id="entry-index">{{index}}</dd>
<dt>{{t.kind}}</dt><dd id="entry-kind">{{kind}}</dd>
<dt>{{t.actor}}</dt><dd>{{actor}}</dd>
<dt>{{t.time}}</dt><dd>{{time}}</dd>
{{#subject}}<dt>{{t.subject}}</dt><dd id="entry-subject">{{subject}}</dd>{{/subject}}
{{#sequence}}<dt>{{t.sequence}}</dt><dd>{{sequence}}</dd>{{/sequence}}
{{#topic}}<dt>{{t.topic}}</dt><dd>{{topic}}</dd>{{/topic}}
</dl>
{{#isPublished}}
<h2>{{t.event_life}}</h2>
<ol id="event-life">
<li>{{t.published_digest}} <code id="data-digest">{{digest}}</code></li>
{{#routes}}<li>{{t.routed_under}} <code>{{agreement}}</code> v{{version}} → {{consumer}}</li>{{/routes}}
{{#followUps}}<li><a href="/console/audit/{{index}}">{{kind}}</a> — {{actor}} {{detail}} ({{time}})</li>{{/followUps}}
</ol>
{{#hasDeliveries}}<h2>{{t.delivery_title}}</h2>
<table id="deliveries"><thead><tr><th scope="col">{{t.department}}</th><th scope="col">{{t.subscription}}</th><th scope="col">{{t.delivery_state}}</th></tr></thead>
<tbody>{{#deliveries}}<tr data-state="{{state}}"><td>{{department}}</td><td><code>{{subscription}}</code></td><td>{{stateText}}{{#pendingDeliveries}} ({{t.delivery_count}} {{pendingDeliveries}}){{/pendingDeliveries}}</td></tr>{{/deliveries}}</tbody></table>
{{/hasDeliveries}}
{{#hasReaders}}<h2>{{t.read_by}}</h2>{{/hasReaders}}
<ul>{{#readers}}<li>{{actor}} ({{time}})</li>{{/readers}}</ul>
{{/isPublished}}
<h2>{{t.entry_bytes}}</h2>
<pre id="entry-bytes">{{entryText}}</pre>
<h2>{{t.proof_title}}</h2>
<p>{{t.proof_help}}</p>
{{#proof}}
<section id="proof" data-entry="{{entry}}" data-index="{{index}}" data-tree-size="{{treeSize}}" data-proof="{{path}}"
 data-checkpoint="{{checkpoint}}" data-verifier-key="{{verifierKey}}"
 data-msg-ok="{{t.proof_ok}}" data-msg-failed="{{t.proof_failed}}" data-msg-unsupported="{{t.proof_unsupported}}">
<dl class="facts"><dt>{{t.tree_size}}</dt><dd>{{treeSize}}</dd><dt>{{t.signed_by}}</dt><dd><code id="signing-key">{{verifierKey}}</code></dd></dl>
<p><button class="primary" type="button" id="verify-proof">{{t.verify}}</button>
<button class="secondary" type="button" id="verify-tampered">{{t.verify_tampered}}</button></p>
<p id="proof-result" role="status" aria-live="polite" data-outcome="none">{{t.proof_pending}}</p>
</section>
<script src="/console/assets/proof.js"></script>
{{/proof}}
{{^proof}}<p class="notice" id="proof-not-covered">{{t.proof_not_covered}}</p>{{/proof}}
{{>footer}}
"""#

    static let tracker = #"""
{{>header}}
<p>{{t.tracker_help}}</p>
<form class="filters" method="get" action="/console/tracker">
<label for="t-subject">{{t.subject}}<input id="t-subject" name="subject" value="{{subject}}" required></label>
<button class="primary" type="submit">{{t.apply_filter}}</button>
</form>
{{#scanLimited}}<p class="notice">{{t.scan_limited}} {{scanned}}</p>{{/scanLimited}}
{{#searched}}
<div class="table-wrap"><table id="tracker-results">
<thead><tr><th scope="col">{{t.recipient}}</th><th scope="col">{{t.time}}</th><th scope="col">{{t.agreement}}</th><th scope="col">{{t.purpose}}</th><th scope="col">{{t.topic}}</th><th scope="col">{{t.provider}}</th></tr></thead>
<tbody>
{{#rows}}<tr><td>{{consumer}}</td><td><a href="/console/audit/{{index}}">{{time}}</a></td><td><code>{{agreement}}</code> v{{version}}</td><td>{{purpose}}</td><td>{{topic}}</td><td>{{provider}}</td></tr>{{/rows}}
{{^rows}}<tr><td colspan="6">{{t.no_entries}}</td></tr>{{/rows}}
</tbody></table></div>
{{#olderHref}}<div class="pager"><a href="{{olderHref}}" rel="next">{{t.next_page}}</a></div>{{/olderHref}}
{{/searched}}
{{>footer}}
"""#

    static let departments = #"""
{{>header}}
{{#redriven}}<p class="notice" role="status" id="redriven">{{t.redriven}} {{redriven}}</p>{{/redriven}}
{{#discarded}}<p class="notice" role="status" id="discarded">{{t.discarded}} {{discarded}}</p>{{/discarded}}
{{#departments}}
<h2 id="dept-{{id}}">{{name}} <code>{{id}}</code></h2>
<div class="table-wrap"><table class="subscriptions">
<thead><tr><th scope="col">{{t.subscription}}</th><th scope="col">{{t.filter}}</th><th class="num" scope="col">{{t.position}}</th><th class="num" scope="col">{{t.lag}}</th><th class="num" scope="col">{{t.pending}}</th><th class="num" scope="col">{{t.dead_letters}}</th><th scope="col"></th></tr></thead>
<tbody>
{{#subscriptions}}<tr id="sub-{{name}}"><td>{{name}}</td><td><code>{{filter}}</code></td><td class="num">{{position}}</td><td class="num">{{lag}}</td><td class="num">{{pending}}</td><td class="num dead-letters">{{deadLetters}}</td>
<td>{{#canRedrive}}<form method="post" action="/console/departments/redrive">
<input type="hidden" name="csrf" value="{{csrf}}"><input type="hidden" name="owner" value="{{owner}}"><input type="hidden" name="subscription" value="{{name}}">
<label><input type="checkbox" name="confirm" value="yes" required> {{t.redrive_confirm}}</label>
<button class="secondary redrive" type="submit">{{t.redrive}}</button></form>
<form method="post" action="/console/departments/discard">
<input type="hidden" name="csrf" value="{{csrf}}"><input type="hidden" name="owner" value="{{owner}}"><input type="hidden" name="subscription" value="{{name}}">
<label><input type="checkbox" name="confirm" value="yes" required> {{t.discard_confirm}}</label>
<button class="secondary discard" type="submit">{{t.discard}}</button></form>{{/canRedrive}}</td></tr>{{/subscriptions}}
{{^subscriptions}}<tr><td colspan="7">{{t.no_subscriptions}}</td></tr>{{/subscriptions}}
</tbody></table></div>
{{/departments}}
{{>footer}}
"""#

    static let agreements = #"""
{{>header}}
<h2>{{t.share_graph}}</h2>
<p id="graph-desc">{{t.share_graph_desc}}</p>
<div class="graph"><svg id="share-graph" role="img" aria-labelledby="graph-desc" viewBox="0 0 {{graph.width}} {{graph.height}}" width="{{graph.width}}" height="{{graph.height}}">
<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="8" markerHeight="8" orient="auto-start-reverse"><path d="M 0 0 L 10 5 L 0 10 z" fill="#0b57a4"/></marker></defs>
{{#graph.edges}}<line x1="{{x1}}" y1="{{y1}}" x2="{{x2}}" y2="{{y2}}" stroke="#0b57a4" stroke-width="1.5" marker-end="url(#arrow)"><title>{{label}}</title></line>
<text x="{{lx}}" y="{{ly}}" font-size="11" fill="#4a4a4a" text-anchor="middle">{{label}}</text>{{/graph.edges}}
{{#graph.nodes}}<circle cx="{{x}}" cy="{{y}}" r="8" fill="#0b3d6e"><title>{{name}}</title></circle><text x="{{tx}}" y="{{ty}}" font-size="13" fill="#1a1a1a" text-anchor="{{anchor}}">{{label}}</text>{{/graph.nodes}}
</svg></div>
<h2>{{title}}</h2>
<div class="table-wrap"><table id="agreements">
<thead><tr><th scope="col">{{t.agreement}}</th><th scope="col">{{t.provider}}</th><th scope="col">{{t.consumers}}</th><th scope="col">{{t.topics}}</th><th scope="col">{{t.fields}}</th><th scope="col">{{t.conditions}}</th><th scope="col">{{t.purpose}}</th><th scope="col">{{t.legal_basis}}</th><th scope="col">{{t.validity}}</th><th scope="col">{{t.status}}</th><th class="num" scope="col">{{t.version}}</th><th scope="col">{{t.history}}</th><th class="num" scope="col">{{t.routed}}</th><th scope="col">{{t.last_routed}}</th></tr></thead>
<tbody>
{{#agreements}}<tr id="agreement-{{id}}"><td><code>{{id}}</code><br>{{title}}</td><td>{{provider}}</td><td>{{consumers}}</td><td><code>{{topics}}</code></td><td>{{fields}}</td><td><code>{{conditions}}</code></td><td>{{purpose}}</td><td>{{legalBasis}}</td><td>{{validity}}</td><td>{{status}}</td><td class="num">{{version}}</td><td>{{history}}</td><td class="num routed">{{routed}}</td><td>{{lastRouted}}</td></tr>{{/agreements}}
{{^agreements}}<tr><td colspan="14">{{t.none}}</td></tr>{{/agreements}}
</tbody></table></div>
{{#scanLimited}}<p class="notice">{{t.scan_limited}} {{scanned}}</p>{{/scanLimited}}
{{>footer}}
"""#
}
