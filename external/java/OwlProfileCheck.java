// The OWL 2 DL profile check of the OWL API (tests/test_engines.py): prints one line per violation
// of each ontology file given (after its axiom count), then "violations: N"; exit code 0 when there is none, 1 otherwise.
import java.io.File;

import org.semanticweb.owlapi.apibinding.OWLManager;
import org.semanticweb.owlapi.model.*;
import org.semanticweb.owlapi.profiles.*;

public class OwlProfileCheck {
    public static void main(String[] args) throws Exception {
        int total = 0;
        for (String path : args) {
            OWLOntologyManager manager = OWLManager.createOWLOntologyManager();
            OWLOntology ontology = manager.loadOntologyFromOntologyDocument(new File(path));
            System.out.println(path + ": axioms: " + ontology.getAxiomCount());
            OWLProfileReport report = new OWL2DLProfile().checkOntology(ontology);
            for (OWLProfileViolation v : report.getViolations()) {
                System.out.println(path + ": " + v.getClass().getSimpleName() + ": " + v.toString().replace('\n', ' '));
                total++;
            }
        }
        System.out.println("violations: " + total);
        System.exit(total == 0 ? 0 : 1);
    }
}
