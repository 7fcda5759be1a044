"""Phrase pools of the complaints, by problem and language."""
from __future__ import annotations

# --- phrase pools -------------------------------------------------------------------------------
# Each pool: core sentences (one is always used) plus optional openers, details and closers,
# per language. {P}/{Pb} name a product, {ORD}/{NUM} an order number, {o} agrees with the
# author, {Pa}/{Pe}/{Pn} with the product; see Ctx.resolve for the rest.

C_OPEN = {
    "it": ["Sfogo del giorno:", "Niente, ci rinuncio.", "Scusate lo sfogo.",
           "Ok, adesso mi arrabbio.", "Che delusione.", "Premessa: il caffè è buonissimo.",
           "Buongiorno,", "Ciao,", "Raga,", "Non ci siamo.", "Allora.", "Uffa.", "Seriamente?",
           "Vi voglio bene, ma", "Avviso a chi compra caffè online:", "Ma dai.",
           "Piccola disavventura:", "Mi tocca scriverlo qui:",
           "Scrivo qui visto che per mail è inutile.", "Sono senza parole.",
           "Giornata iniziata male:", "Ditemi voi se è normale:"],
    "en": ["Rant incoming.", "Not impressed.", "Ugh.", "Hi,", "Honestly,",
           "Okay, this is getting ridiculous.", "Love the coffee, but", "PSA:", "Well.",
           "So...", "Sorry to do this publicly, but", "Small rant:", "Is this normal?",
           "Hello?", "Not a great experience so far:"],
}
C_CLOSE = {
    "it": ["Qualcuno sa qualcosa?", "Mah.", "Così non va.", "Aspetto notizie.",
           "Fatemi sapere.", "Delus{o}.", "Grazie per niente.",
           "Se continua così chiedo il rimborso.", "Che devo fare?", "Rispondete per favore 🙏",
           "Peccato, perché il caffè è ottimo.", "Mi aspettavo di meglio.",
           "Vorrei solo una risposta.", "Non si fa così.", "Bah.", "Che pazienza.",
           "Qualcuno ha avuto lo stesso problema?", "Sempre più delus{o}."],
    "en": ["Any update?", "Not great.", "What's going on?", "Please sort this out.",
           "Would appreciate a reply.", "Disappointed.", "Come on.",
           "Really hoping this gets fixed.", "Anyone else had this?", "Not cool.",
           "Such a shame, the coffee is great.", "Frustrating."],
}
C_DETAIL = {
    "it": ["Ho scritto anche alla mail del servizio clienti.", "Nessuno risponde al telefono.",
           "Avevo pagato subito con carta.", "Era un regalo.",
           "E intanto a casa il caffè è finito 😩", "Non è la prima volta.",
           "Ordino da due anni, mai successo prima.", "Ho controllato anche lo spam, niente.",
           "Il caffè mi serviva per il weekend.",
           "Ho scritto anche su WhatsApp: visualizzato e basta.",
           "Mi sono pure pres{o} il giorno libero per aspettare il corriere."],
    "en": ["Paid by card the same day.", "Emailed support twice, nothing back.",
           "It was meant to be a gift.", "Ran out of coffee in the meantime ☕💀",
           "Never had issues before.", "No shipping confirmation either.",
           "Checked my spam folder too.", "Took a day off to wait for the courier, too."],
}
C_DETAIL_ITEM = {
    "it": ["Ho già scritto alla mail del servizio clienti.", "Ho le foto, se servono.",
           "Era un regalo.", "Non è la prima volta.", "Ordino da due anni, mai successo prima.",
           "Ho mandato le foto via mail, aspetto.", "E non è che costi poco."],
    "en": ["Got photos if needed.", "It was meant to be a gift.", "Never had issues before.",
           "Already emailed support with photos.", "Not exactly cheap, either."],
}
C_DETAIL_PAY = {
    "it": ["Ho lo screenshot della banca.", "Ho già scritto alla mail del servizio clienti.",
           "Non sono pochi soldi."],
    "en": ["I have the bank screenshot.", "Already emailed support.", "Not a small amount."],
}
C_DETAIL_STRANGER = {"it": ["Non è la prima volta.", "Peccato.", "Ci riprovo domani."],
                     "en": ["Not the first time either.", "Shame.", "Will try again tomorrow."]}
COMPLAINT = {
    "late": {"it": [
        "il mio {ORD} è fermo su \"in preparazione\" da {d} giorni",
        "ho fatto l'{ORD} {il_date} e non è ancora partito",
        "{d} giorni fa ho fatto l'{ORD}, pagato subito, e ancora nessuna mail di spedizione",
        "{NUM} ordinato {il_date}, mai spedito",
        "sono passati {d} giorni dall'{ORD} e del pacco nessuna traccia",
        "sul sito c'è scritto spedizione in 24/48 ore, il mio {ORD} è lì da {d} giorni",
        "aspetto ancora l'{ORD} {del_date}",
        "l'{ORD} risulta ancora da spedire dopo {d} giorni. com'è possibile?",
        "qualcuno mi spiega perché l'{ORD} non è ancora partito? sono {d} giorni",
        "{ORD}, {d} giorni, zero aggiornamenti",
        "ho ordinato {P} {il_date} ({NUM}) e ancora nulla",
        "{il_date} ho preso {P} e altre cose, {ORD}: ad oggi non è nemmeno stato spedito",
        "ordinato {il_date}, ancora niente: zero mail, zero tracking",
        "il mio ordine è fermo \"in lavorazione\" da {d} giorni",
        "{d} giorni che aspetto un pacco di caffè",
        "ho ordinato {P} {il_date} e non è ancora partito"],
        "en": [
        "my {ORD} has been stuck on \"processing\" for {d} days",
        "placed {ORD} on {date} and it still hasn't shipped",
        "{d} days and {ORD} hasn't even left the warehouse",
        "still waiting on {ORD} from {date}. no shipping email, nothing",
        "{NUM} was supposed to ship in 1-2 days. it's been {d}",
        "is {ORD} ever going to ship? paid on {date}",
        "{d} days since I ordered ({NUM}) and it's still unfulfilled",
        "ordered {P} on {date}, {ORD}, still not shipped",
        "the website says ships in 24-48h. my {ORD} is on day {d}",
        "ordered on {date}, still nothing. no tracking, no email",
        "my order has been \"processing\" for {d} days",
        "{d} days waiting for a bag of coffee",
        "ordered {P} on {date} and it hasn't shipped yet"]},
    "late_followup": {"it": [
        "aggiornamento: ancora niente. siamo a {d} giorni",
        "siamo a {d} giorni, ancora fermo. nessuna risposta neanche alla mail",
        "ancora nessuna notizia dell'{ORD}",
        "giorno {d}. il caffè non è partito, io invece sì 🙃",
        "update: nessuna risposta, nessuna spedizione. {d} giorni",
        "nulla di nuovo, l'{ORD} è ancora lì"],
        "en": [
        "update: still nothing. day {d}",
        "{d} days now. still unfulfilled, still no reply",
        "still waiting on {ORD}. anyone there?",
        "no news. {ORD} still hasn't shipped",
        "day {d}. the coffee still hasn't shipped. I, however, am losing it"]},
    "stuck": {"it": [
        "il tracking {courier} dell'{ORD} è fermo da {d} giorni",
        "spedito {il_fdate} con {courier} e da allora \"in transito\". {ORD}",
        "pacco fermo all'hub di {hub} da {d} giorni ({NUM})",
        "{courier} dice \"in transito\" da {weekday}. {ORD}. boh",
        "il tracciamento dell'{ORD} non si aggiorna da {d} giorni",
        "ma {courier} l'ha perso? {NUM} fermo da {d} giorni",
        "l'{ORD} è partito {il_fdate} e da lì il nulla: tracking bloccato",
        "pacco fermo all'hub di {hub} da {d} giorni",
        "tracking {courier} bloccato da {d} giorni, il pacco non si muove"],
        "en": [
        "tracking for {ORD} hasn't moved in {d} days",
        "{courier} tracking stuck on \"in transit\" since {fdate} ({NUM})",
        "my parcel ({ORD}) has been sitting in {hub} for {d} days",
        "is there any way to chase {courier}? {ORD} stuck in transit for {d} days",
        "{ORD} shipped on {fdate} and then... nothing. tracking frozen",
        "parcel stuck in {hub} for {d} days, tracking not updating"]},
    "stuck_followup": {"it": [
        "ancora fermo a {hub}",
        "update: tracking ancora bloccato, {d} giorni",
        "niente, {courier} non risponde e il pacco ({NUM}) è ancora fermo",
        "aggiornamento per chi se lo chiedeva: il pacco non si è mosso"],
        "en": [
        "still stuck in {hub}",
        "update: tracking still frozen, day {d}",
        "nothing. {courier} won't answer and {NUM} hasn't moved"]},
    "failure": {"it": [
        "{courier} segna \"consegna non riuscita, destinatario assente\" per l'{ORD}. ero a "
        "casa tutto il giorno",
        "nessuno ha suonato e il tracking dice tentativo di consegna fallito. {NUM}",
        "il corriere ha rinunciato alla consegna dell'{ORD}. e ora chi me lo riporta?",
        "consegna fallita per l'{ORD}, ma al citofono non ha suonato nessuno",
        "\"indirizzo non trovato\" dice {courier}. lo stesso indirizzo dove mi arriva di tutto "
        "da anni. {ORD}"],
        "en": [
        "{courier} marked {ORD} as \"delivery failed\". I was home all day, nobody rang",
        "delivery failed for {NUM}?? the courier never showed up",
        "\"address not found\" says {courier}. same address I've had for years. {ORD}",
        "courier apparently gave up on {ORD}. now what?"]},
    "wrong_grind": {"it": [
        "ho ordinato {P} {wanted} e nel pacco c'era {got}",
        "{ORD}: avevo scelto {wanted}, è arrivato {got}",
        "aperto il pacco dell'{ORD}: sacchetto di {Pb} con {got} invece che {wanted}",
        "sbagliata la macinatura nell'{ORD}: {got} al posto di quello {wanted}",
        "preso {P} {wanted}, ricevuto {got}. e adesso che ci faccio?",
        "ho ordinato {P} {wanted} e mi è arrivato {got}"],
        "en": [
        "ordered {P} as {wanted} and got {got}",
        "{ORD}: picked {wanted}, received {got}",
        "wrong grind in {ORD}: {got} instead of {wanted}",
        "ordered {P} in {wanted}, the bag says {got}. now what do I do with it?"]},
    "wrong_item": {"it": [
        "nel pacco dell'{ORD} ho trovato {P2}, io avevo ordinato {P}",
        "ho ordinato {P} e mi avete mandato {P2}",
        "{NUM}: ho ordinato {P}, nel pacco ho trovato {P2}",
        "pacco sbagliato: io avevo preso {P}, dentro ho trovato {P2}"],
        "en": [
        "{ORD} came with {P2} instead of {P}",
        "ordered {P}, got {P2}. not quite the same thing",
        "{NUM}: opened the box and found {P2} instead of {P}"]},
    "missing": {"it": [
        "nel pacco dell'{ORD} mancava{Pn} {P}",
        "arrivato il pacco ({NUM}) ma {P} non {Pc}",
        "mi è arrivata solo metà dell'{ORD}: manca{Pn} {P}",
        "{ORD} consegnato a metà, {P} non pervenut{Pa}",
        "aperto il pacco, tutto ok tranne {P} che proprio non {Pc}. {ORD}"],
        "en": [
        "{ORD} arrived without {P}",
        "box arrived ({NUM}) but {P} {Pis} missing",
        "only half of {ORD} showed up, no sign of {P}",
        "{P} missing from {ORD}. everything else was there"]},
    "moka": {"it": [
        "{P} è arrivata ammaccata, il pacco deve aver preso una bella botta",
        "{P} perde dalla guarnizione già al secondo caffè. {ORD}",
        "{P} nuova: beccuccio piegato e caldaia ammaccata. {ORD}",
        "aperta la scatola dell'{ORD}: {P} ha il manico che balla",
        "nell'{ORD} c'era {P}, peccato che il filtro a imbuto sia storto e non si chiuda",
        "{P} sbuffa vapore dai lati ed è nuova di zecca. {NUM}",
        "{P} è arrivata con il manico storto",
        "{P} perde dalla guarnizione già al secondo caffè"],
        "en": [
        "{P} arrived with a dented base. {ORD}",
        "the handle on {P} is loose straight out of the box ({NUM})",
        "{P} leaks from the gasket after two uses. {ORD}",
        "opened {ORD}: {P} has a bent spout",
        "{P} arrived with a dented base",
        "{P} leaks from the gasket after two uses"]},
    "moka_fixed": {"it": [
        "aggiornamento: mi hanno scritto in giornata e mi spediscono una moka nuova. "
        "gentilissimi, ritiro tutto 🙏",
        "update: hanno risposto subito, moka sostitutiva già in viaggio. così si fa",
        "risolto! moka nuova arrivata e funziona benissimo. grazie {brand}"],
        "en": [
        "update: they replied within hours and are sending a replacement moka pot. credit "
        "where it's due",
        "update: replacement arrived, works perfectly. thanks {brand}"]},
    "charged": {"it": [
        "mi avete addebitato due volte l'{ORD}",
        "doppio addebito sulla carta per l'{ORD}: {total} € per due volte",
        "controllo l'estratto conto e trovo l'{ORD} pagato due volte",
        "{NUM} pagato una volta, addebitato due. {total} € x2",
        "l'app della banca mi mostra due addebiti identici da {total} € per l'{ORD}"],
        "en": [
        "I was charged twice for {ORD} ({total} EUR, twice)",
        "double charge on my card for {ORD}",
        "my bank shows two identical charges of €{total} for {NUM}",
        "paid for {ORD} once, got charged twice"]},
    "charged_fixed": {"it": [
        "aggiornamento: doppio addebito stornato e mi hanno scritto per scusarsi. tutto "
        "risolto 👍",
        "update: rimborsato il secondo addebito in giornata. grazie, così si fa",
        "risolto, mi hanno restituito l'addebito doppio. gentilissimi"],
        "en": [
        "update: the duplicate charge was refunded and they apologised. all good now",
        "update: sorted within a day, second charge refunded. thanks!"]},
    "stale": {"it": [
        "il sacchetto di {Pb} che ho ricevuto aveva la data di tostatura di {months} fa",
        "{P} sapeva di vecchio, zero crema. {ORD}",
        "i chicchi di {Pb} erano opachi e sapevano di cartone",
        "nell'{ORD} c'era un sacchetto di {Pb} tostato a {month_old}. altro che fresco",
        "valvola del sacchetto rotta e {P} senza più profumo. {ORD}",
        "{P} arrivat{Pa} con tostatura di {months} fa, zero crema",
        "sacchetto di {Pb} senza data di tostatura e caffè piatto"],
        "en": [
        "{P} tasted stale, roast date was {months} ago",
        "{P} was flat and papery, no crema at all. {ORD}",
        "bag of {Pb} roasted in {month_old}. so much for fresh ({NUM})",
        "no roast date on the bag and {P} tasted flat",
        "the valve on the bag was broken and {P} had no aroma left ({ORD})"]},
    "no_answer": {"it": [
        "ho scritto tre mail per l'{ORD} e nessuno mi ha risposto",
        "scritto {il_date} a info@brace-caffe.example per l'{ORD}. silenzio",
        "form contatti, mail, messaggio su Instagram: nessuna risposta sull'{ORD}",
        "da una settimana aspetto una risposta sull'{ORD}, che tra l'altro non è mai partito",
        "il servizio clienti esiste? chiedo per l'{ORD}",
        "ho scritto tre mail e nessuno mi ha risposto",
        "il servizio clienti esiste? scrivo da una settimana",
        "mail, form contatti, DM: nessuna risposta"],
        "en": [
        "emailed three times about {ORD}, not a single reply",
        "wrote to info@brace-caffe.example on {date} about {ORD}. crickets",
        "email, contact form, DM: no answer about {ORD}, which hasn't shipped either",
        "does customer service exist? asking for {ORD}",
        "three emails, zero replies",
        "contact form, email, DMs. no answer for a week"]},
    "packaging": {"it": [
        "pacco arrivato aperto e metà del sacchetto di {Pb} sparsa nella scatola",
        "sacchetto di {Pb} bucato, caffè ovunque nel cartone",
        "scatola distrutta e {P} con il sacchetto squarciato"],
        "en": [
        "box arrived torn open, half the bag of {Pb} spilled inside",
        "bag of {Pb} split in transit, coffee all over the box"]},
    # non-customers
    "checkout": {"it": [
        "il checkout di {brand} continua a darmi errore con la carta",
        "provo a pagare con PayPal sul sito di {brand} e si blocca tutto",
        "terzo tentativo di ordine su {brand}, il pagamento non passa",
        "sito di {brand} lentissimo, il carrello si svuota da solo"],
        "en": [
        "checkout keeps failing on the {brand} site, card declined every time",
        "trying to pay with PayPal on {brand} and the page just hangs",
        "cart keeps emptying itself on the {brand} website. third try"]},
    "price": {"it": [
        "ancora un aumento sul sacchetto di {Pb}? ormai costa {price} € da 250 g",
        "prezzi di {brand} sempre più alti, il sacchetto di {Pb} ormai costa come al bar",
        "{P} buon{Pa} per carità, ma {price} € ...",
        "4,90 € di spedizione sotto i 39 € per due sacchetti di caffè? un po' tanto",
        "spedizione gratuita solo sopra i 39 €, soglia un po' alta per chi vive da sol{o}"],
        "en": [
        "{P} went up again? €{price} now",
        "{brand} prices keep creeping up, {P} is almost €{price} now",
        "€4.90 shipping on a small coffee order is steep",
        "free shipping only over €39? come on"]},
    "capsules": {"it": [
        "{P} si incastrano nella mia macchina, una su tre",
        "{P} non si forano bene, metà caffè finisce nel cassetto",
        "{P} nella mia Essenza Mini escono acquose",
        "{P} compatibili un corno: la macchina le sputa fuori"],
        "en": [
        "{P} keep jamming in my Essenza Mini",
        "half of {P} don't pierce properly, coffee everywhere",
        "{P} come out watery in my machine",
        "\"compatible\" my foot: {P} won't even close in my machine"]},
    "gift": {"it": [
        "mi hanno regalato {P} ma il pacco era tutto rotto",
        "ricevuto {P} in regalo, un sacchetto era bucato. peccato",
        "{P} ricevut{Pa} a Natale con la scatola schiacciata"],
        "en": [
        "got {P} as a gift and the box was crushed",
        "received {P} as a present, one bag was split open"]},
    "taste": {"it": [
        "troppo scuro per i miei gusti: {P} sa di bruciato",
        "{P} in moka mi viene amarissimo, sarò io?",
        "non capisco l'entusiasmo per {P}: piatto e amaro",
        "dopo tutte le recensioni mi aspettavo di più da {Pb}. sa di caffè da autogrill"],
        "en": [
        "{P} is way too dark for me, tastes burnt",
        "don't get the hype around {P}. flat and bitter",
        "{P} in my moka pot comes out super bitter. is it me?"]},
    "service": {"it": [
        "il servizio clienti di {brand} non risponde mai",
        "scritto a {brand} su WhatsApp: visualizzato e nessuna risposta",
        "chiesto un'informazione a {brand} una settimana fa, ancora aspetto",
        "newsletter di {brand} tutti i giorni a dicembre, anche basta",
        "il corriere di {brand} mi ha lasciato il pacco sotto la pioggia davanti al cancello"],
        "en": [
        "{brand} customer service never answers",
        "asked {brand} a simple question a week ago, still waiting",
        "three marketing emails a day from {brand}. please",
        "the courier left my {brand} parcel in the rain outside the gate"]},
}
