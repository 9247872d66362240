"""Browser tests of the web console against a live exchanged (started by run-console-tests.sh).

Headless Chromium driven by Selenium through chromium-driver. Each check names what a user relies
on; the first failure stops the run with its message. Screenshots of every view are written to
$CONSOLE_SCREENSHOTS at 1280 px, and of two views at phone width.
"""
import http.cookiejar
import os
import re
import ssl
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

from selenium import webdriver
from selenium.common.exceptions import NoAlertPresentException, NoSuchElementException, TimeoutException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

BASE = os.environ["CONSOLE_BASE_URL"]
PKI = os.environ["CONSOLE_PKI"]
SHOTS = os.environ["CONSOLE_SCREENSHOTS"]
AUDITOR = os.environ["CONSOLE_AUDITOR_TOKEN"]
ADMIN = os.environ["CONSOLE_ADMIN_TOKEN"]
PORTAL = os.environ["CONSOLE_PORTAL_TOKEN"]
SCRIPT_SUBJECT = "<script>alert(1)</script>"
LICENCE_SUBJECT = "91330100MA2KX0001X"


def check(condition, message):
    if not condition:
        raise AssertionError(message)
    print("ok -", message)


def browser(width=1280, height=900, phone=False):
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", f"--window-size={width},{height}"):
        options.add_argument(argument)
    if phone:
        # A desktop window is never narrower than about 500 px; emulate the phone's viewport.
        options.add_experimental_option("mobileEmulation", {"deviceMetrics": {"width": width, "height": height, "pixelRatio": 2}})
    options.set_capability("acceptInsecureCerts", True)
    driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
    driver.set_page_load_timeout(30)
    return driver


def shot(driver, name):
    driver.save_screenshot(os.path.join(SHOTS, f"{name}.png"))


def sign_in(driver, token):
    driver.get(BASE + "/console/signin")
    driver.find_element(By.ID, "token").send_keys(token)
    driver.find_element(By.ID, "sign-in").click()
    WebDriverWait(driver, 10).until(lambda d: "/console/signin" not in d.current_url)


def post(driver, path, fields):
    """POSTs a form from the page (the browser's own cookies) and returns the status."""
    return driver.execute_async_script(
        """
        const [path, fields, done] = arguments;
        fetch(path, {method: "POST", credentials: "same-origin", redirect: "manual",
                     headers: {"content-type": "application/x-www-form-urlencoded"},
                     body: new URLSearchParams(fields).toString()})
          .then((r) => done(r.status), (e) => done(String(e)));
        """,
        path,
        fields,
    )


def no_alert(driver):
    try:
        driver.switch_to.alert
        return False
    except NoAlertPresentException:
        return True


def auditor_views(driver):
    driver.get(BASE + "/console/signin")
    check(driver.find_element(By.TAG_NAME, "html").get_attribute("lang") == "zh-CN", "the console speaks Simplified Chinese by default")
    shot(driver, "01-sign-in")
    sign_in(driver, AUDITOR)
    check(driver.find_element(By.ID, "who").text == "auditor-1", "an auditor token signs in")
    cookie = driver.get_cookie("exchange_console")
    check(cookie is not None and cookie["httpOnly"] and cookie["secure"] and cookie.get("sameSite") == "Strict",
          "the session cookie is HttpOnly, Secure and SameSite=Strict")

    driver.get(BASE + "/console/overview")
    check(driver.find_element(By.TAG_NAME, "h1").text == "运行概览", "the overview is in Simplified Chinese")
    events = int(driver.find_element(By.ID, "events-total").text)
    check(events >= 4, f"the overview counts the published events ({events})")
    check(driver.find_element(By.ID, "dead-letters").text == "2", "the overview counts the dead letters")
    check(driver.find_element(By.ID, "commit-latency").text.endswith(" ms"), "the overview shows the mean commit latency")
    check(len(driver.find_elements(By.ID, "delivery-rate")) == 1 and len(driver.find_elements(By.ID, "ack-rate")) == 1,
          "and deliveries and acknowledgements per second")
    shot(driver, "02-overview")
    driver.get(BASE + "/console/overview?lang=en")
    check(driver.find_element(By.TAG_NAME, "html").get_attribute("lang") == "en", "English is a choice (lang=en)")
    check(driver.find_element(By.TAG_NAME, "h1").text == "Overview", "and the page is in English")

    driver.get(BASE + "/console/agreements")
    check(len(driver.find_elements(By.ID, "agreement-nhc-food-inspections")) == 1, "the agreements register lists the agreements")
    routed = driver.find_element(By.CSS_SELECTOR, "#agreement-nhc-food-inspections .routed").text
    check(routed == "3", f"with the events routed under each ({routed})")
    row = driver.find_element(By.ID, "agreement-msa-business-licences").text
    check("v2 " in row, "and the versions seen in force")
    check(len(driver.find_elements(By.CSS_SELECTOR, "#share-graph line")) >= 4, "the who-shares-with-whom graph draws one arrow a pair")
    shot(driver, "03-agreements")

    driver.get(BASE + "/console/departments")
    row = driver.find_element(By.ID, "sub-food-dead-letters")
    check(row.find_element(By.CSS_SELECTOR, ".dead-letters").text == "1", "the subscription shows its dead letter")
    check(len(driver.find_elements(By.CSS_SELECTOR, "button.redrive, button.discard")) == 0, "an auditor sees no redrive or discard button")
    csrf = driver.find_element(By.CSS_SELECTOR, "header form input[name=csrf]").get_attribute("value")
    status = post(driver, "/console/departments/redrive",
                  {"csrf": csrf, "owner": "market-regulation", "subscription": "food-dead-letters", "confirm": "yes"})
    check(status == 403, f"an auditor's redrive is refused ({status})")
    shot(driver, "04-departments")

    driver.get(BASE + "/console/audit?" + urllib.parse.urlencode({"subject": SCRIPT_SUBJECT}))
    cells = driver.find_elements(By.CSS_SELECTOR, "#audit-entries td.subject")
    check(len(cells) == 1 and cells[0].text == SCRIPT_SUBJECT, "a subject <script>alert(1)</script> renders as text")
    check(no_alert(driver), "the subject's script does not run")
    shot(driver, "05-audit")

    driver.get(BASE + "/console/audit?" + urllib.parse.urlencode({"subject": LICENCE_SUBJECT, "kind": "published"}))
    link = driver.find_element(By.CSS_SELECTOR, "#audit-entries td a")
    entry_path = urllib.parse.urlparse(link.get_attribute("href")).path
    for _ in range(60):
        driver.get(BASE + entry_path)
        if driver.find_elements(By.ID, "proof"):
            break
        time.sleep(0.5)
    check(driver.find_element(By.ID, "entry-kind").text == "published", "an event's page shows its published entry")
    check(re.fullmatch(r"[0-9a-f]{64}", driver.find_element(By.ID, "data-digest").text) is not None, "with its data digest")
    life = driver.find_element(By.ID, "event-life").text
    check("msa-business-licences" in life and "tax-bureau" in life, "and the agreement version and consumer it was routed to")
    delivered = driver.find_elements(By.CSS_SELECTOR, "#deliveries tr[data-state='delivered']")
    check(len(delivered) == 1 and "tax-licences" in delivered[0].text,
          "and that it was delivered to the consumer's subscription, awaiting acknowledgement")
    driver.find_element(By.ID, "verify-proof").click()
    result = driver.find_element(By.ID, "proof-result")
    WebDriverWait(driver, 10).until(lambda d: result.get_attribute("data-outcome") not in ("none", "running"))
    check(result.get_attribute("data-outcome") == "ok", f"the inclusion proof verifies in the browser ({result.text})")
    check(driver.find_element(By.ID, "signing-key").text.startswith("exchange.test/audit+"), "the page names the key that signed the checkpoint")
    driver.execute_script("arguments[0].scrollIntoView({block: 'end'})", result)
    shot(driver, "06-event-proof")
    driver.find_element(By.ID, "verify-tampered").click()
    WebDriverWait(driver, 10).until(lambda d: result.get_attribute("data-outcome") != "running")
    check(result.get_attribute("data-outcome") == "failed", "a tampered copy fails")

    driver.get(BASE + "/console/tracker?" + urllib.parse.urlencode({"subject": LICENCE_SUBJECT}))
    text = driver.find_element(By.ID, "tracker-results").text
    check("tax-bureau" in text and "msa-business-licences" in text, "the data tracker shows who received data about the subject")
    shot(driver, "07-tracker")

    # A request without the CSRF token is refused and leaves the session alive.
    status = post(driver, "/console/signout", {})
    check(status == 403, f"a sign-out without the CSRF token is refused ({status})")
    driver.get(BASE + "/console/overview")
    check("/console/overview" in driver.current_url, "the session survived the refused request")

    # Sign-out ends the session on the server: the old cookie no longer opens a page.
    session = driver.get_cookie("exchange_console")["value"]
    driver.find_element(By.ID, "sign-out").click()
    WebDriverWait(driver, 10).until(lambda d: d.find_elements(By.ID, "signed-out"))
    driver.add_cookie({"name": "exchange_console", "value": session, "path": "/console", "secure": True})
    driver.get(BASE + "/console/overview")
    check("/console/signin" in driver.current_url, "sign-out ends the session")


def admin_views(driver):
    sign_in(driver, ADMIN)
    driver.get(BASE + "/console/audit")
    check("/console/audit" in driver.current_url and "auth.forbidden" in driver.page_source, "an admin may not read the audit log's contents")
    driver.get(BASE + "/console/departments")
    row = driver.find_element(By.ID, "sub-food-dead-letters")
    row.find_element(By.CSS_SELECTOR, "input[name=confirm]").click()
    row.find_element(By.CSS_SELECTOR, "button.redrive").click()
    WebDriverWait(driver, 10).until(lambda d: d.find_elements(By.ID, "redriven"))
    check(driver.find_element(By.ID, "redriven").text.endswith("1"), "an admin redrives the dead letter after confirming")
    check(driver.find_element(By.CSS_SELECTOR, "#sub-food-dead-letters .dead-letters").text == "0", "the dead letter is gone")
    row = driver.find_element(By.ID, "sub-food-discard")
    row.find_element(By.CSS_SELECTOR, "button.discard").click()
    check("/console/departments/discard" not in driver.current_url and not driver.find_elements(By.ID, "discarded"),
          "a discard without its confirmation ticked is not sent")
    row.find_element(By.CSS_SELECTOR, "form[action$=discard] input[name=confirm]").click()
    row.find_element(By.CSS_SELECTOR, "button.discard").click()
    WebDriverWait(driver, 10).until(lambda d: d.find_elements(By.ID, "discarded"))
    check(driver.find_element(By.ID, "discarded").text.endswith("1"), "an admin discards a dead letter after confirming")
    check(driver.find_element(By.CSS_SELECTOR, "#sub-food-discard .dead-letters").text == "0", "the discarded dead letter is gone")
    shot(driver, "10-departments-admin")


def phone_views():
    driver = browser(390, 844, phone=True)
    try:
        sign_in(driver, AUDITOR)
        driver.get(BASE + "/console/overview")
        width, viewport = driver.execute_script("return [document.documentElement.scrollWidth, window.innerWidth]")
        check(viewport == 390 and width <= viewport, f"the overview fits a phone's width ({width} px in {viewport} px)")
        shot(driver, "08-overview-phone")
        driver.get(BASE + "/console/departments")
        shot(driver, "09-departments-phone")
    finally:
        driver.quit()


def refused_tokens():
    context = ssl.create_default_context(cafile=os.path.join(PKI, "ca.crt"))
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPSHandler(context=context), urllib.request.HTTPCookieProcessor(jar))
    page = opener.open(BASE + "/console/signin").read().decode()
    csrf = re.search(r'name="csrf" value="([0-9a-f]{64})"', page).group(1)
    headers = {k: v for k, v in opener.open(BASE + "/console/signin").headers.items()}
    check("default-src 'self'" in headers.get("Content-Security-Policy", "") and headers.get("X-Frame-Options") == "DENY",
          "pages carry a strict Content-Security-Policy and may not be framed")
    page = opener.open(BASE + "/console/signin").read().decode()
    csrf = re.search(r'name="csrf" value="([0-9a-f]{64})"', page).group(1)
    body = urllib.parse.urlencode({"csrf": csrf, "method": "token", "token": PORTAL}).encode()
    answer = opener.open(BASE + "/console/signin", data=body)
    check(answer.url.endswith("/console/signin?failed=1"), "a portal token may not sign in to the console")


def department_by_certificate():
    context = ssl.create_default_context(cafile=os.path.join(PKI, "ca.crt"))
    context.load_cert_chain(os.path.join(PKI, "clients", "market-regulation.crt"), os.path.join(PKI, "clients", "market-regulation.key"))
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPSHandler(context=context), urllib.request.HTTPCookieProcessor(jar))
    page = opener.open(BASE + "/console/signin").read().decode()
    check("sign-in-certificate" in page and "market-regulation" in page, "a department's certificate is offered for sign-in")
    csrf = re.search(r'name="csrf" value="([0-9a-f]{64})"', page).group(1)
    body = urllib.parse.urlencode({"csrf": csrf, "method": "certificate"}).encode()
    page = opener.open(BASE + "/console/signin", data=body).read().decode()
    check('id="sub-food-dead-letters"' in page and 'id="sub-tax-licences"' not in page,
          "a department signed in by certificate sees its own subscriptions only")
    answer = opener.open(BASE + "/console")
    check(answer.url.endswith("/console/departments"), "a department's first page is its subscriptions")
    try:
        opener.open(BASE + "/console/audit")
        check(False, "a department may not open the audit explorer")
    except urllib.error.HTTPError as error:
        check(error.code == 403, "a department may not open the audit explorer")


def main():
    os.makedirs(SHOTS, exist_ok=True)
    driver = browser()
    try:
        auditor_views(driver)
        admin_views(driver)
    except (AssertionError, NoSuchElementException, TimeoutException) as error:
        shot(driver, "failure")
        print("FAILED:", error, file=sys.stderr)
        print(driver.current_url, file=sys.stderr)
        return 1
    finally:
        driver.quit()
    try:
        phone_views()
        refused_tokens()
        department_by_certificate()
    except AssertionError as error:
        print("FAILED:", error, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
