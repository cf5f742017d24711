"""Drives the what-if page in headless Debian Chromium with Selenium.

Usage: whatif_browser.py URL LON LAT SCREENSHOT.png
Loads the page, picks the kindergarten category, clicks the map at (LON, LAT),
waits for the figures, asks for suggested sites, saves a screenshot and prints one JSON line: the edit
as the server recorded it, the figures the page shows, the browser console's
errors.
"""
import json
import sys
import tempfile

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select, WebDriverWait

url, lon, lat, shot = sys.argv[1], float(sys.argv[2]), float(sys.argv[3]), sys.argv[4]

options = webdriver.ChromeOptions()
options.binary_location = "/usr/bin/chromium"
for flag in [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
    "--disable-dev-shm-usage", "--window-size=1280,800",
    f"--user-data-dir={tempfile.mkdtemp(prefix='childcircle-chromium-')}",
]:
    options.add_argument(flag)
options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
# The system chromedriver: Selenium Manager never downloads anything.
driver = webdriver.Chrome(service=Service(executable_path="/usr/bin/chromedriver"), options=options)
try:
    driver.get(url + "/")
    wait = WebDriverWait(driver, 60)
    wait.until(lambda d: d.execute_script("return document.body.dataset.ready === '1'"))
    Select(driver.find_element(By.ID, "category")).select_by_value("kinder")
    mode = driver.find_element(By.CSS_SELECTOR, "input[name=mode][value=add]")
    mode.click()
    # Zoom to the point so that a pixel is well under a metre, then click it.
    driver.execute_script("window.childcircle.map.setView([arguments[1], arguments[0]], 18, {animate: false})", lon, lat)
    x, y = driver.execute_script(
        "const p = window.childcircle.map.latLngToContainerPoint([arguments[1], arguments[0]]); return [p.x, p.y];",
        lon, lat)
    el = driver.find_element(By.ID, "map")
    w, h = el.size["width"], el.size["height"]
    ActionChains(driver).move_to_element_with_offset(el, int(x - w / 2), int(y - h / 2)).click().perform()
    wait.until(lambda d: d.execute_script(
        "return document.body.dataset.edits === '1' && !document.body.dataset.busy"))
    # Back to the whole extract; ask for suggested kindergarten sites.
    driver.execute_script("const b = window.childcircle.base.bounds; window.childcircle.map.fitBounds([[b[1], b[0]], [b[3], b[2]]], {animate: false})")
    message = driver.find_element(By.ID, "message").text
    driver.find_element(By.ID, "suggest").click()
    wait.until(lambda d: d.execute_script("return document.body.dataset.sites !== undefined"))
    sites = {
        "listed": driver.execute_script("return window.childcircle.sites.length"),
        "drawn": len(driver.find_elements(By.CSS_SELECTOR, ".leaflet-marker-icon.site")),
    }
    driver.execute_script("return new Promise(r => setTimeout(r, 300))")
    driver.save_screenshot(shot)
    s = driver.execute_script("return window.childcircle.scenario")
    shown = {
        "life_circle": int(driver.find_element(By.ID, "lc-after").get_attribute("data-value")),
        "categories": {
            c["id"]: int(driver.find_element(By.ID, "cat-" + c["id"]).get_attribute("data-value"))
            for c in s["after"]["categories"]
        },
    }
    children = driver.find_elements(By.ID, "lc-children-after")
    if children:
        shown["children"] = float(children[0].get_attribute("data-value"))
    errors = [e["message"] for e in driver.get_log("browser") if e["level"] in ("SEVERE", "ERROR")]
    print(json.dumps({
        "edit": s["edits"][0],
        "shown": shown,
        "message": message,
        "sites_message": driver.find_element(By.ID, "message").text,
        "joined": s["diff"]["categories"]["kinder"]["joined_count"],
        "errors": errors,
        "sites": sites,
        "children_known": s["after"]["children"] is not None,
        "children_after": s["after"]["life_circle"]["children"],
    }, ensure_ascii=False))
finally:
    driver.quit()
